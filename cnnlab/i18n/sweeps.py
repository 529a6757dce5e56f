"""Strings of the hyperparameter sweep (Experiments' Sweep tab, cnnlab/ui/sweeplab.py) and its engine errors
(cnnlab/train/sweeps.py)."""

STRINGS: dict[str, tuple[str, str]] = {
    "exp.tab_sweep": ("Sweep", "超参数搜索"),
    "sweep.new": ("New sweep", "新建超参数搜索"),
    "sweep.help": (
        "Train one architecture once per combination of learning rate, batch size, optimizer, dropout and epochs: "
        "every combination (grid) or a random draw of them. Pick one value to keep a setting fixed, several to "
        "sweep it; everything else is the default recipe. Each configuration is its own run, queued like the "
        "arena's (at most 24).",
        "用同一个网络结构，为学习率、批大小、优化器、丢弃率和训练轮数的每种组合各训练一次：全部组合（网格）或随机抽取"
        "其中几种。某项只选一个取值即固定不变，选多个即参与搜索；其余设置沿用默认配方。每种配置都是一次独立的运行，"
        "像对比赛场一样排队训练（最多 24 次）。",
    ),
    "sweep.arch": ("Architecture", "网络结构"),
    "sweep.mode": ("Search", "搜索方式"),
    "sweep.mode.grid": ("Grid", "网格"),
    "sweep.mode.random": ("Random", "随机"),
    "sweep.mode_help": (
        "Grid trains every combination; random trains the number of trials you choose, drawn without repeats.",
        "网格会训练全部组合；随机会按你设定的试验次数抽取组合（不重复）。",
    ),
    "sweep.trials": ("Trials", "试验次数"),
    "sweep.hp.learning_rate": ("Learning rate", "学习率"),
    "sweep.hp.batch_size": ("Batch size", "批大小"),
    "sweep.hp.optimizer": ("Optimizer", "优化器"),
    "sweep.hp.dropout": ("Dropout", "丢弃率（Dropout）"),
    "sweep.hp.epochs": ("Epochs", "训练轮数"),
    "sweep.dropout_help": (
        "Set on every Dropout layer of the architecture; one without any gets a Dropout layer before its "
        "classifier (0: left as it is).",
        "作用于网络中的每个 Dropout 层；没有 Dropout 层的网络会在分类层前加一个（取 0 则保持原样）。",
    ),
    "sweep.count": ("{count} runs will be queued.", "将排队 {count} 次运行。"),
    "sweep.name": ("Name (optional)", "名称（可选）"),
    "sweep.start": ("Start the sweep", "开始搜索"),
    "sweep.invalid": ("This sweep cannot start:", "这次超参数搜索无法开始："),
    "sweep.study": ("Sweep", "超参数搜索"),
    "sweep.none": ("No sweeps yet: start one above.", "还没有超参数搜索：在上方新建一个。"),
    "sweep.best": (
        "Best so far: **{label}**, test accuracy {accuracy}.",
        "目前最好：**{label}**，测试准确率 {accuracy}。",
    ),
    "sweep.train_best": ("Train the best configuration", "用最佳配置训练"),
    "sweep.train_best_help": (
        "Opens Train with this configuration filled in (architecture, dataset and every setting).",
        "打开“训练”页，并填好这一配置（网络结构、数据集和全部设置）。",
    ),
    "sweep.chart_wait": ("The chart appears once two runs have finished.", "有两次运行完成后会显示图表。"),
    "sweep.chart_help": (
        "One line per finished run, through its value on each axis to its test accuracy (colour: the same). "
        "Drag along an axis to keep only the runs in that range; click a column of the table to sort by it.",
        "每条线是一次已完成的运行，依次经过它在各轴上的取值，最后到达测试准确率（颜色也表示准确率）。"
        "在某根轴上拖动可只保留该范围内的运行；点击表格的列标题可按该列排序。",
    ),
    "sweep.col.best": ("Best", "最佳"),
    "sweep.col.val_accuracy": ("Validation accuracy", "验证准确率"),
    # ------------------------------------------------------------ engine (cnnlab/train/sweeps.py)
    "engine.study.sweep_value": (
        "{setting}: {value} is not a number of the right kind",
        "{setting}：{value} 不是合适的数值",
    ),
    "engine.study.sweep_choice": (
        "{setting}: {value} is not one of {choices}",
        "{setting}：{value} 不在 {choices} 之中",
    ),
    "engine.study.sweep_dropout": (
        "a dropout rate is at least 0 and below 1, not {value}",
        "丢弃率须大于等于 0 且小于 1，而不是 {value}",
    ),
    "engine.study.sweep_unknown": (
        "cannot sweep {names}; a sweep varies {known}",
        "无法搜索 {names}；可以搜索的是 {known}",
    ),
    "engine.study.sweep_no_values": ("{setting}: give at least one value", "{setting}：请至少给出一个取值"),
    "engine.study.sweep_empty": (
        "a sweep needs values for at least one of {names}",
        "超参数搜索至少需要为 {names} 之一给出取值",
    ),
    "engine.study.sweep_mode": (
        "the search is one of {choices}, not {value}",
        "搜索方式须为 {choices} 之一，而不是 {value}",
    ),
    "engine.study.sweep_grid_size": (
        "a sweep trains {low} to {high} runs and this grid makes {count}: choose fewer or more values, or a random "
        "search",
        "一次搜索训练 {low} 到 {high} 次，而这个网格共 {count} 次：请调整取值的个数，或改用随机搜索",
    ),
    "engine.study.sweep_trials": (
        "a random search trains {low} to {high} configurations, not {value}",
        "随机搜索训练 {low} 到 {high} 种配置，而不是 {value}",
    ),
    "engine.study.sweep_too_few": (
        "these values make only {count} different configurations, fewer than the {trials} trials asked for",
        "这些取值只能组成 {count} 种不同的配置，少于所要求的 {trials} 次试验",
    ),
}
