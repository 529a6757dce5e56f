"""Strings of the data budget and augmentation lab (Experiments' learning-curve tab) and its engine's refusals."""

STRINGS: dict[str, tuple[str, str]] = {
    # ------------------------------------------------------------ the engine (cnnlab/train/curves.py)
    "engine.study.curve_size": (
        "a training size is a whole number of images, at least {low}, or “full”; got {value}",
        "训练规模必须是至少 {low} 的整数张图像，或整个训练集；现在是 {value}",
    ),
    "engine.study.curve_size_too_big": (
        "n={n} is not less than the {full} images of the whole training split; choose fewer, or “full”",
        "{n} 张不少于整个训练集的 {full} 张图像；请选更少的图像，或选整个训练集",
    ),
    "engine.study.curve_no_sizes": ("choose at least one training size", "请至少选择一个训练规模"),
    "engine.study.curve_duplicate_sizes": ("each training size once, please", "每个训练规模只需选一次"),
    "engine.study.curve_seeds": (
        "a learning curve uses 1 to {high} different seeds; got {value}",
        "学习曲线使用 1 到 {high} 个不同的随机种子；现在是 {value}",
    ),
    "engine.study.curve_augment": (
        "augmentation is one of {choices}; got {value}",
        "数据增强只能是 {choices} 之一；现在是 {value}",
    ),
    "engine.study.curve_archs": (
        "a learning curve is drawn for 1 or {high} architectures; {count} were given",
        "学习曲线针对 1 或 {high} 个网络结构；现在给了 {count} 个",
    ),
    # ------------------------------------------------------------ the tab (cnnlab/ui/curvelab.py)
    "curve.tab": ("Learning curves", "学习曲线"),
    "curve.intro": (
        "Learning curves: test accuracy against the number of training images, with and without augmentation — "
        "what more data is worth, and what augmentation is worth at each amount of it.",
        "学习曲线：测试准确率随训练图像数量的变化，分有无数据增强两种情况——看更多数据值多少，以及在每种数据量下数据增强"
        "值多少。",
    ),
    "curve.new": ("New learning curve", "新建学习曲线"),
    "curve.help": (
        "How much does more data help, and how much does augmentation? The same recipe trains on 250, 500, 1,000, "
        "2,000 images and the whole training split, with augmentation off and on, one run per point (they wait in "
        "the queue and train in turn). Smaller subsets are the first images of the same shuffled split, so each is "
        "part of every larger one.",
        "更多数据能带来多少提升？数据增强又能带来多少？同一个训练配方分别在 250、500、1,000、2,000 张图像和整个训练集"
        "上训练，数据增强关闭和开启各一次，每个点一次运行（在队列中依次训练）。较小的子集是同一个打乱后训练集的前几张"
        "图像，所以每个子集都包含在更大的子集里。",
    ),
    "curve.archs": ("Architectures (1 or 2)", "网络结构（1 或 2 个）"),
    "curve.augment": ("Augmentation", "数据增强"),
    "curve.augment.off": ("Off", "关闭"),
    "curve.augment.on": ("On", "开启"),
    "curve.augment.both": ("Both", "两者都要"),
    "curve.augment_help": (
        "On: the default recipe's random shifts, rotations and zooms of each training image, new every epoch. "
        "Both: every size twice, so the two curves show what augmentation is worth at each amount of data.",
        "开启：使用默认配方的随机平移、旋转和缩放，每轮对每张训练图像重新随机变换。两者都要：每个规模训练两次，"
        "两条曲线显示数据增强在每种数据量下的价值。",
    ),
    "curve.seeds": ("Seeds", "随机种子数"),
    "curve.seeds_help": (
        "Each seed is its own split, subset and initialisation; 2-3 seeds show how much a point moves by chance "
        "(the bar through each point).",
        "每个随机种子对应不同的数据划分、子集和初始权重；2-3 个种子可以看出每个点有多少偶然波动（每个点上的误差线）。",
    ),
    "curve.epochs": ("Epochs each", "每次训练轮数"),
    "curve.epochs_help": (
        "The same number of passes over its own images for every run: a small subset gets fewer steps.",
        "每次运行在自己的图像上训练相同的轮数：子集越小，训练步数越少。",
    ),
    "curve.sizes": ("Training images (n)", "训练图像数量（n）"),
    "curve.sizes_help": (
        "Sizes below the whole training split of the chosen dataset ({full:,} images), and the whole split.",
        "小于所选数据集整个训练集（{full:,} 张）的规模，以及整个训练集。",
    ),
    "curve.full": ("all {full:,}", "全部 {full:,}"),
    "curve.plan": (
        "{runs} runs: {sizes} sizes × {augs} augmentation × {archs} architecture(s) × {seeds} seed(s).",
        "共 {runs} 次运行：{sizes} 个规模 × {augs} 种数据增强 × {archs} 个网络结构 × {seeds} 个随机种子。",
    ),
    "curve.name": ("Name (optional)", "名称（可选）"),
    "curve.default_name": ("learning curve: {archs} on {dataset}", "学习曲线：{archs}，{dataset}"),
    "curve.start": ("Start the learning curve", "开始学习曲线"),
    "curve.invalid": ("This learning curve cannot start:", "这条学习曲线无法开始："),
    "curve.study": ("Learning curve", "学习曲线"),
    "curve.none": ("No learning curves yet: start one above.", "还没有学习曲线：在上方新建一条。"),
    "curve.stop": ("Stop the learning curve", "停止学习曲线"),
    "curve.resume": ("Resume the learning curve", "继续学习曲线"),
    "curve.col.arch": ("Architecture", "网络结构"),
    "curve.col.n": ("Training images", "训练图像数"),
    "curve.col.augmentation": ("Augmentation", "数据增强"),
    "curve.col.seed": ("Seed", "随机种子"),
    "curve.col.status": ("State", "状态"),
    "curve.col.train_seconds": ("Training time", "训练时间"),
    "curve.col.test_accuracy": ("Test accuracy", "测试准确率"),
    "curve.aug_on": ("with augmentation", "有数据增强"),
    "curve.aug_off": ("no augmentation", "无数据增强"),
    "curve.x": ("Training images (n, log scale)", "训练图像数（n，对数刻度）"),
    "curve.y": ("Test accuracy", "测试准确率"),
    "curve.spread": ("lowest–highest over {seeds} seeds", "{seeds} 个种子中的最低到最高"),
    "curve.wait": ("The curve appears as soon as the first run has finished.", "第一次运行完成后，这里就会出现曲线。"),
    "curve.chart_help": (
        "Each point is the test accuracy at that many training images (the mean over the seeds that have finished; "
        "the bar through it spans the lowest to the highest). Where the lines are steep, more data still helps; where "
        "they flatten, it helps less. The gap between the two lines of one architecture is what augmentation is "
        "worth at that size.",
        "每个点是用这么多训练图像时的测试准确率（已完成种子的平均值；穿过它的误差线从最低到最高）。线越陡，说明增加数据仍有帮"
        "助；线变平时，帮助就小了。同一网络结构两条线之间的差距，就是在该数据量下数据增强的价值。",
    ),
}
