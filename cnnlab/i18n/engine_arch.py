"""Engine errors about architectures: specs, presets, transfer bases, ImageNet weights.

Each key -> (English, 简体中文). A raise site names the key: raise ImageError("engine.image.empty", label=...).
"""

STRINGS = {
    # ------------------------------------------------------------ architectures (cnnlab/architectures.py)
    "engine.spec.invalid": ("not a valid architecture spec: {detail}", "不是有效的网络结构描述：{detail}"),
    "engine.spec.not_json": ("the spec file is not valid JSON: {detail}", "结构文件不是有效的 JSON：{detail}"),
    "engine.spec.lenet_flavour": (
        "lenet5 flavour must be 'modern' (relu, max-pool) or 'classic' (tanh, avg-pool), not {value}",
        "lenet5 的风格必须是 'modern'（relu、最大池化）或 'classic'（tanh、平均池化），而不是 {value}",
    ),
    "engine.spec.alexnet_variant": (
        "alexnet variant must be 'auto', 'original' or 'scaled', not {value}",
        "alexnet 的版本必须是 'auto'、'original' 或 'scaled'，而不是 {value}",
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
        "transfer mode must be 'feature_extraction' or 'fine_tuning', not {value}",
        "迁移学习的方式必须是 'feature_extraction' 或 'fine_tuning'，而不是 {value}",
    ),
    "engine.spec.transfer_base": (
        "transfer base must be one of {choices}, not {value}",
        "迁移学习的基础网络必须是以下之一：{choices}，而不是 {value}",
    ),
    "engine.spec.transfer_weights": (
        "transfer weights must be 'imagenet' or 'none' (random), not {value}",
        "迁移学习的权重必须是 'imagenet' 或 'none'（随机初始化），而不是 {value}",
    ),
    "engine.spec.transfer_run": (
        "transfer from a run needs model_path: the .keras file of an earlier run",
        "从已有的运行迁移需要 model_path：之前某次运行保存的 .keras 文件",
    ),
    "engine.spec.unknown_preset": (
        "unknown architecture {name}; choose one of {names}",
        "未知的网络结构 {name}，请从以下结构中选择：{names}",
    ),
    "engine.spec.preset_option": (
        "preset {name} has no option {options}; it accepts {known}",
        "预设 {name} 没有选项 {options}；可用的选项：{known}",
    ),
    "engine.spec.preset_no_options": (
        "preset {name} has no option {options}; it has no options",
        "预设 {name} 没有选项 {options}；它没有任何选项",
    ),
    "engine.spec.no_weights": ("no ImageNet weights for base {base}", "基础网络 {base} 没有 ImageNet 权重"),
    "engine.spec.unknown_layer": ("{name}: unknown layer type {type}", "{name}：未知的层类型 {type}"),
    "engine.spec.channels": (
        "cannot map {channels} image channels onto a base that takes {base_channels}",
        "无法把 {channels} 通道的图像映射到接收 {base_channels} 通道的基础网络上",
    ),
    "engine.spec.run_model_missing": (
        "{name}: the model file {path} does not exist — train a model first or choose another",
        "{name}：模型文件 {path} 不存在——请先训练一个模型，或另选一个",
    ),
    "engine.spec.layer": ("layer {index} ({label}): {issue}", "第 {index} 层（{label}）：{issue}"),
}
