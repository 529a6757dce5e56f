"""Strings of the Experiments page (studies of many runs)."""

STRINGS: dict[str, tuple[str, str]] = {
    "nav.experiments": ("Experiments", "实验"),
    "experiments.title": ("Experiments", "实验"),
    "exp.intro": (
        "Studies of many runs, started together and compared fairly: an arena trains several architectures on the "
        "same data and recipe; a sweep tries learning rates, batch sizes, optimizers, dropout and epochs; learning "
        "curves show what more images and augmentation buy; the quantization lab shows what int8 costs.",
        "一次启动、公平比较的多次运行：对比赛场让几个网络结构使用相同的数据和训练配方；超参数搜索尝试不同的学习率、批大小、"
        "优化器、Dropout 和轮数；学习曲线显示更多图像和数据增强带来什么；量化实验显示 int8 的代价。",
    ),
    "exp.new_arena": ("New arena", "新建对比赛场"),
    "exp.arena_help": (
        "Pick 2 to 6 architectures. Each trains as its own run (they wait in the queue and train in turn); this "
        "page survives reloads, and the study goes on if you close it.",
        "选择 2 到 6 个网络结构。每个结构都是一次独立的运行（在队列中依次训练）；"
        "刷新页面不会丢失，关掉页面实验也会继续。",
    ),
    "exp.archs": ("Architectures", "网络结构"),
    "exp.dataset": ("Dataset", "数据集"),
    "exp.epochs": ("Epochs each", "每个训练轮数"),
    "exp.budget": ("Budget", "预算"),
    "exp.budget.epochs": ("Epochs", "轮数"),
    "exp.budget.seconds": ("Seconds", "秒"),
    "exp.budget_help": (
        "The same number of epochs for every entry, or the same training time: with seconds, each entry trains "
        "until its summed epoch times reach the budget (a small network then gets more epochs than a big one).",
        "每个参赛结构训练相同的轮数，或相同的训练时间：选“秒”时，每个结构一直训练到各轮用时之和达到预算"
        "（小网络因此会比大网络多训练几轮）。",
    ),
    "exp.seconds": ("Seconds of training each", "每个的训练秒数"),
    "exp.epochs_help": (
        "The same number of passes over the training data for every entry.", "每个参赛结构都训练相同的轮数。"
    ),
    "exp.name": ("Name (optional)", "名称（可选）"),
    "exp.start": ("Start the arena", "开始比赛"),
    "exp.invalid": ("This arena cannot start:", "这个对比赛场无法开始："),
    "exp.study": ("Study", "实验"),
    "exp.none": ("No studies yet: start an arena above.", "还没有实验：在上方新建一个对比赛场。"),
    "exp.state.running": ("Running: {done} of {total} finished", "进行中：已完成 {done}/{total}"),
    "exp.state.finished": ("Finished: {done} of {total}", "已完成：{done}/{total}"),
    "exp.state.stopped": ("Stopped: {done} of {total} finished", "已停止：已完成 {done}/{total}"),
    "exp.state.failed": ("Ended with a failed run: {done} of {total} finished", "有运行失败：已完成 {done}/{total}"),
    "exp.stop": ("Stop the study", "停止实验"),
    "exp.resume": ("Resume the study", "继续实验"),
    "exp.col.label": ("Architecture", "网络结构"),
    "exp.col.status": ("State", "状态"),
    "exp.col.params": ("Parameters", "参数量"),
    "exp.col.macs": ("MACs per image", "每张图乘加次数"),
    "exp.col.train_seconds": ("Training time", "训练时间"),
    "exp.col.latency_ms": ("Latency per image", "每张图延迟"),
    "exp.col.test_accuracy": ("Test accuracy", "测试准确率"),
    "exp.col.drawn_accuracy": ("Drawn digits", "手写画板数字"),
    "exp.cost": ("Cost", "代价"),
    "exp.val_accuracy": ("Validation accuracy", "验证准确率"),
    "exp.front": ("Pareto front", "帕累托前沿"),
    "exp.pareto_wait": (
        "The accuracy-vs-cost chart appears when two entries have finished.",
        "有两个参赛结构训练完成后，这里会出现准确率与代价的对比图。",
    ),
    "exp.pareto_help": (
        "Filled markers are on the Pareto front: no other entry is both cheaper and more accurate. Latency is "
        "measured per image (batch 1, warm) on this machine by the worker that trained it.",
        "实心标记位于帕累托前沿：没有其他结构既更便宜又更准确。"
        "延迟是训练它的进程在本机上测得的每张图耗时（批大小 1，已预热）。",
    ),
    "exp.tab_arena": ("Arena", "对比赛场"),
    # ------------------------------------------------------------ the quantization lab
    "quant.tab": ("Quantization", "量化"),
    "quant.intro": (
        "What does int8 cost? One finished run converted to TensorFlow Lite three ways and each version run on the "
        "run's own test images: float32 (as trained), dynamic-range (weights stored as 8-bit integers) and full "
        "integer int8 (weights, activations, input and output as 8-bit integers, calibrated on training images).",
        "int8 要付出什么代价？把一次已完成的运行用三种方式转换成 TensorFlow Lite，并在该运行自己的测试图像上实际运行"
        "每个版本："
        "float32（训练时的样子）、动态范围量化（权重存为 8 位整数）和全整数 int8（权重、激活、输入和输出都是 8 位整数"
        "，用训练图像校准）。",
    ),
    "quant.no_runs": (
        "No finished run yet. Train one on the Train page, then measure it here.",
        "还没有已完成的运行。先在“训练”页训练一个，再来这里测量。",
    ),
    "quant.run": ("Run", "运行"),
    "quant.go": ("Quantize and measure", "量化并测量"),
    "quant.working": (
        "Converting and measuring: {done} of {total} versions",
        "正在转换并测量：第 {done}/{total} 个版本",
    ),
    "quant.summary": (
        "int8 is **{smaller:.1f}× smaller** than float32 and changes test accuracy by **{change:+.1f} points** "
        "(measured by running each version on {n:,} test images).",
        "int8 比 float32 **小 {smaller:.1f} 倍**，测试准确率变化 **{change:+.1f} 个百分点**（在 {n:,} 张测试图像上实"
        "际运行每个版本测得）。",
    ),
    "quant.col.mode": ("Version", "版本"),
    "quant.col.size": ("File size", "文件大小"),
    "quant.col.smaller": ("Smaller than float32", "比 float32 小"),
    "quant.col.accuracy": ("Test accuracy", "测试准确率"),
    "quant.col.change": ("Change (points)", "变化（百分点）"),
    "quant.col.latency": ("Latency per image", "每张图延迟"),
    "quant.mode.float32": ("float32", "float32"),
    "quant.mode.dynamic": ("dynamic-range", "动态范围量化"),
    "quant.mode.int8": ("int8", "int8"),
    "quant.changes": ("Where int8's answers moved", "int8 的答案在哪里变了"),
    "quant.changes_help": (
        "int8's confusion matrix minus float32's: red cells gained images, blue cells lost them, empty cells did not "
        "change. All empty: quantization changed no answer.",
        "int8 的混淆矩阵减去 float32 的：红色格子多了图像，蓝色格子少了图像，空白格子没有变化。全是空白：量化没有改变"
        "任何答案。",
    ),
    "quant.no_change": (
        "int8 gives the same answer as float32 on every one of the {n:,} test images: its confusion matrix is "
        "float32's, cell for cell.",
        "在全部 {n:,} 张测试图像上，int8 与 float32 的答案完全相同：两者的混淆矩阵逐格一致。",
    ),
    "quant.true": ("True class", "真实类别"),
    "quant.predicted": ("Predicted", "预测"),
    "quant.weights": ("The weights of {layer}, before and after", "{layer} 的权重：量化前后"),
    "quant.weights_help": (
        "int8 stores each output channel's weights as one of 255 levels times a scale, so the histogram keeps its "
        "shape: each weight moves by at most half a level.",
        "int8 把每个输出通道的权重存成 255 个等级之一再乘以一个比例因子，所以直方图形状几乎不变：每个权重最多移动半个"
        "等级。",
    ),
    "quant.weights_caption": (
        "{before} distinct values as trained, {after} in int8; the largest change of a weight: {error:.5f}.",
        "训练得到 {before} 个不同的值，int8 中有 {after} 个；单个权重的最大变化：{error:.5f}。",
    ),
    "quant.value": ("Weight", "权重"),
    "quant.count": ("Count", "数量"),
}
