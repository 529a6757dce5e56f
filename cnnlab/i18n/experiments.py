"""Strings of the Experiments page (studies of many runs)."""

STRINGS: dict[str, tuple[str, str]] = {
    "nav.experiments": ("Experiments", "实验"),
    "experiments.title": ("Experiments", "实验"),
    "exp.intro": (
        "Studies of many runs, started together and compared fairly. An arena trains several architectures on "
        "the same data, split, seed, augmentation and recipe, one after another, and compares what they cost "
        "with what they get right.",
        "一次启动、公平比较的多次运行。对比赛场让几个网络结构使用相同的数据、划分、随机种子、数据增强和训练配方依次训练，"
        "再比较它们的代价和准确率。",
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
}
