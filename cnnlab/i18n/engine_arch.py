"""Engine errors about architectures: specs, presets, transfer bases, ImageNet weights.

Each key -> (English, 简体中文). A raise site names the key: raise SpecError("engine.spec.vgg_blocks", value=9).
The English is exactly what the old f-strings produced (tests and the CLI match on it).
"""

STRINGS = {
    # ------------------------------------------------------------ specs and presets (cnnlab/arch/spec.py, presets.py)
    "engine.spec.invalid": ("not a valid architecture spec: {detail}", "不是有效的网络结构描述：{detail}"),
    "engine.spec.too_deep": (
        "the spec file is nested too deeply to be an architecture",
        "这个结构文件嵌套层数太多，不可能是网络结构",
    ),
    "engine.spec.not_json": ("the spec file is not valid JSON: {detail}", "结构文件不是有效的 JSON：{detail}"),
    "engine.spec.lenet_flavour": (
        "lenet5 flavour must be 'modern' (relu, max-pool) or 'classic' (tanh, avg-pool), not {value!r}",
        "lenet5 的风格必须是 'modern'（relu、最大池化）或 'classic'（tanh、平均池化），而不是 {value!r}",
    ),
    "engine.spec.alexnet_variant": (
        "alexnet variant must be 'auto', 'original' or 'scaled', not {value!r}",
        "alexnet 的版本必须是 'auto'、'original' 或 'scaled'，而不是 {value!r}",
    ),
    "engine.spec.alexnet_width": (
        "alexnet width multiplier must be between 0.05 and 2, not {value}",
        "alexnet 的宽度倍数必须在 0.05 到 2 之间，而不是 {value}",
    ),
    "engine.spec.vgg_blocks": (
        "vgg_small blocks must be between 1 and 5, not {value}",
        "vgg_small 的卷积块数必须在 1 到 5 之间，而不是 {value}",
    ),
    "engine.spec.transfer_mode": (
        "transfer mode must be 'feature_extraction' or 'fine_tuning', not {value!r}",
        "迁移学习的方式必须是 'feature_extraction' 或 'fine_tuning'，而不是 {value!r}",
    ),
    "engine.spec.transfer_base": (
        "transfer base must be one of {choices}, not {value!r}",
        "迁移学习的基础网络必须是以下之一：{choices}，而不是 {value!r}",
    ),
    "engine.spec.transfer_weights": (
        "transfer weights must be 'imagenet' or 'none' (random), not {value!r}",
        "迁移学习的权重必须是 'imagenet' 或 'none'（随机初始化），而不是 {value!r}",
    ),
    "engine.spec.transfer_run": (
        "transfer from a run needs model_path: the .keras file of an earlier run",
        "从已有的运行迁移需要 model_path：之前某次运行保存的 .keras 文件",
    ),
    "engine.spec.unknown_preset": (
        "unknown architecture {name!r}; choose one of {names}",
        "未知的网络结构 {name!r}，请从以下结构中选择：{names}",
    ),
    "engine.spec.preset_option": (
        "preset {name!r} has no option {options}; it accepts {known}",
        "预设 {name!r} 没有选项 {options}；可用的选项：{known}",
    ),
    "engine.spec.preset_no_options": (
        "preset {name!r} has no option {options}; it has no options",
        "预设 {name!r} 没有选项 {options}；它没有任何选项",
    ),
    "engine.spec.no_weights": ("no ImageNet weights for base {base!r}", "基础网络 {base!r} 没有 ImageNet 权重"),
    # ------------------------------------------------------------ building with Keras (arch/build.py, transfer.py)
    "engine.spec.unknown_layer": ("{name}: unknown layer type {type!r}", "{name}：未知的层类型 {type!r}"),
    "engine.spec.channels": (
        "cannot map {channels} image channels onto a base that takes {base_channels}",
        "无法把 {channels} 通道的图像映射到接收 {base_channels} 通道的基础网络上",
    ),
    "engine.spec.run_model_missing": (
        "{name}: the model file {path!r} does not exist — train a model first or choose another",
        "{name}：模型文件 {path!r} 不存在——请先训练一个模型，或另选一个",
    ),
    "engine.spec.weights_unavailable": ("{name}: {reason}", "{name}：{reason}"),
    # ImageNet weights for a transfer base (cnnlab/arch/weights.py): WeightsStatus.message, a Phrase
    "engine.spec.weights_cached": (
        "ImageNet weights found in the Keras cache ({path}).",
        "已在 Keras 缓存中找到 ImageNet 权重（{path}）。",
    ),
    "engine.spec.weights_download": (
        "ImageNet weights are not cached; Keras will download them on first build.",
        "ImageNet 权重尚未缓存；Keras 会在第一次搭建模型时下载。",
    ),
    "engine.spec.weights_missing": (
        "ImageNet weights for {base} are unavailable: they are not in the Keras cache ({path}) and there is no "
        "network. Copy the file there, or use random weights (weights=None; on the command line --option "
        "weights=none) — the base then starts untrained.",
        "{base} 的 ImageNet 权重不可用：Keras 缓存（{path}）里没有，也无法联网。请把权重文件复制到那里，"
        "或改用随机权重（weights=None；命令行中用 --option weights=none）——基础网络将从未经训练的状态开始。",
    ),
    # a training config refused before its run starts (cnnlab.arch.weights.unavailable_weights, via train.config)
    "engine.spec.imagenet_offline": (
        "The transfer base {base} is set to start from ImageNet weights, but this computer does not have them and "
        "cannot download them. Set the base's Weights to random to train the same network from scratch, or ask "
        "whoever runs CNN Lab to add the ImageNet weights.",
        "迁移学习的基础网络 {base} 被设为从 ImageNet 预训练权重开始，但这台电脑上没有这些权重，也无法下载。"
        "请把基础网络的“权重”设为“随机初始化”，从零开始训练同一个网络；或请 CNN Lab 的管理者添加 ImageNet 权重。",
    ),
    # ------------------------------------------------------------ the spec checks (cnnlab/arch/analysis.py)
    # check() refuses a spec with every error it found: each is a "build.issue.<code>" sentence (i18n/build.py)
    "engine.spec.issues": ("{issues}", "{issues}"),
    # ------------------------------------------------------------ the code export (cnnlab/arch/codegen.py)
    "engine.spec.unknown_training_setting": (
        "unknown training setting(s) {settings}; known: {known}",
        "未知的训练设置：{settings}；可用的设置有：{known}",
    ),
    "engine.spec.optimizer": (
        "optimizer must be one of {choices}, not {value!r}",
        "优化器必须是以下之一：{choices}，而不是 {value!r}",
    ),
    "engine.spec.not_number": ("{setting} must be a number, not {value!r}", "{setting} 必须是数值，而不是 {value!r}"),
    "engine.spec.out_of_range": ("{setting}={value} is out of range", "{setting}={value} 超出了允许的范围"),
    "engine.spec.unknown_dataset": (
        "unknown dataset {name!r}: no file {path}; choose a dataset listed by `cnnlab datasets`",
        "未知的数据集 {name!r}：找不到文件 {path}；请从 `cnnlab datasets` 列出的数据集中选择",
    ),
    "engine.spec.no_code_export": (
        "{name}: no code export for layer type {type!r}",
        "{name}：层类型 {type!r} 无法导出为代码",
    ),
    "engine.spec.code_style": (
        "unknown code style {style!r}; choose one of {styles}",
        "未知的代码风格 {style!r}；请从以下风格中选择：{styles}",
    ),
    # ------------------------------------------------------------ words the arch engine puts into its sentences
    "engine.word.layers_not_list": ("'layers' must be a list", "“layers” 必须是列表"),
    "engine.word.kernel": ("kernel", "卷积核"),
    "engine.word.pool_size": ("pool size", "池化窗口"),
    "engine.word.base_image": ("image (set input_size >= 32)", "输入图像（请把 input_size 设为 32 或更大）"),
    "engine.word.file_path": ("a file path", "一个文件路径"),
    "engine.word.no_settings": ("no settings", "无"),
}
