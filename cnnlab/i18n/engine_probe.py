"""Engine errors about probing a trained model: transforms and sweeps, attacks, occlusion, receptive fields, filter
pictures and nearest neighbours (cnnlab/inspection/{perturb, robustness, adversarial, receptive, maximise,
neighbours}.py).

Each key -> (English, 简体中文). A raise site names the key: raise ProbeError("engine.probe.range", setting=...).
"""

STRINGS = {
    # ------------------------------------------------------------ settings
    "engine.probe.not_number": (
        "{setting} must be a finite number, got {value}",
        "{setting} 必须是有限的数值，实际为 {value}",
    ),
    "engine.probe.range": (
        "{setting} must be between {low} and {high}, got {value}",
        "{setting} 必须在 {low} 到 {high} 之间，实际为 {value}",
    ),
    "engine.probe.occlusion": (
        "the occlusion patch must be (row, column, size) with a size of at least 1, got {value}",
        "遮挡块必须写成（行, 列, 边长），且边长至少为 1，实际为 {value}",
    ),
    "engine.probe.patch": (
        "the occlusion patch ({patch} pixels wide, moved {stride} at a time) must fit the {h}x{w} image and move at "
        "least 1 pixel at a time",
        "遮挡块（边长 {patch} 像素，每次移动 {stride} 像素）必须放得进 {h}x{w} 的图像，且每次至少移动 1 个像素",
    ),
    "engine.probe.class_range": (
        "class {index} is out of range: the model has {count} classes (0..{last})",
        "类别 {index} 超出范围：模型共有 {count} 个类别（0..{last}）",
    ),
    "engine.probe.no_axes": (
        "a sweep needs at least one setting with values to try",
        "扫描至少需要一个带有取值的设置项",
    ),
    "engine.probe.kind": (
        "there is no sweep axis {value}; choose one of {choices}",
        "没有名为 {value} 的扫描维度；可选的有：{choices}",
    ),
    "engine.probe.test_split": (
        "the test split must have one label per image and at least one image, got {images} images and {labels} labels",
        "测试集必须至少有一张图像，且每张图像对应一个标签，实际为 {images} 张图像、{labels} 个标签",
    ),
    # ------------------------------------------------------------ attacks
    "engine.probe.output_shape": (
        "the model's output has shape {shape}; an attack needs one probability per class",
        "模型输出的形状是 {shape}；对抗攻击需要每个类别一个概率的输出",
    ),
    "engine.probe.method": (
        "the attack must be one of {choices}, not {value}",
        "攻击方法只能是以下之一：{choices}，实际为 {value}",
    ),
    "engine.probe.search": (
        "the search for the smallest perturbation needs a grid of 2 to {limit} points, 1 to 1000 steps and a "
        "tolerance between 0 and 1 (got a grid of {grid}, {steps} steps, tolerance {tolerance})",
        "搜索最小扰动幅度需要 2 到 {limit} 个网格点、1 到 1000 步，以及介于 0 和 1 之间的精度（实际为：{grid} 个"
        "网格点，{steps} 步，精度 {tolerance}）",
    ),
    "engine.probe.max_epsilon": (
        "the largest perturbation to try must be above 0 and at most {high}, got {value}",
        "要尝试的最大扰动幅度必须大于 0 且不超过 {high}，实际为 {value}",
    ),
    "engine.probe.already_target": (
        "the model already predicts class {target}; choose another target",
        "模型已经把它预测为类别 {target}；请选择另一个目标类别",
    ),
    # ------------------------------------------------------------ receptive fields
    "engine.probe.not_spatial": (
        "{name} outputs shape {shape}; a receptive field needs a layer with an (H, W, C) feature map",
        "{name} 的输出形状是 {shape}；感受野需要输出 (H, W, C) 特征图的层",
    ),
    "engine.probe.position": (
        "position ({row}, {col}) is outside {name}'s {h}x{w} output",
        "位置 ({row}, {col}) 超出了 {name} 的 {h}x{w} 输出范围",
    ),
    "engine.probe.rf_layer": (
        "cannot trace the receptive field through {name}: its {type} layer changes the feature map's size in a way "
        "not known here",
        "无法穿过 {name} 追踪感受野：它是 {type} 层，会以这里不认识的方式改变特征图的大小",
    ),
    "engine.probe.rf_padding": (
        "cannot trace the receptive field through {name}: its padding {padding} is neither 'same' nor 'valid'",
        "无法穿过 {name} 追踪感受野：它的填充方式 {padding} 既不是 same 也不是 valid",
    ),
    # ------------------------------------------------------------ filter pictures
    "engine.probe.ascent": (
        "activation maximisation needs 1 to 2000 steps, a step size above 0 and at most 1, and a jitter of 0 or more "
        "(got {steps} steps, step size {step_size}, jitter {jitter})",
        "激活最大化需要 1 到 2000 步、大于 0 且不超过 1 的步长，以及不小于 0 的抖动（实际为：{steps} 步，"
        "步长 {step_size}，抖动 {jitter}）",
    ),
    "engine.probe.not_channels": (
        "{name} outputs shape {shape}; choose a layer with channels (an H x W x C feature map or a Dense layer)",
        "{name} 的输出形状是 {shape}；请选择有通道的层（输出 H x W x C 特征图的层或 Dense 层）",
    ),
    "engine.probe.channel_count": (
        "choose between 1 and {limit} channels, got {count}",
        "请选择 1 到 {limit} 个通道，实际为 {count} 个",
    ),
    "engine.probe.channel": (
        "channel {channel} is out of range: {name} has {count} channels",
        "通道 {channel} 超出范围：{name} 共有 {count} 个通道",
    ),
    "engine.probe.no_images": ("there are no images to rank", "没有可供排序的图像"),
    # ------------------------------------------------------------ nearest neighbours
    "engine.probe.train_split": (
        "the training split must have one label per image and at least one image, got {images} images and {labels} "
        "labels",
        "训练集必须至少有一张图像，且每张图像对应一个标签，实际为 {images} 张图像、{labels} 个标签",
    ),
    "engine.probe.index_mismatch": (
        "the neighbour index holds {want} features per image but this model gives {got}; build it for this model",
        "近邻索引中每张图像有 {want} 个特征，而这个模型给出 {got} 个；请为这个模型重新建立索引",
    ),
    # ------------------------------------------------------------ words put into the sentences above
    "engine.probe.word_rotation": ("the rotation", "旋转角度"),
    "engine.probe.word_shift_x": ("the horizontal shift", "水平平移"),
    "engine.probe.word_shift_y": ("the vertical shift", "垂直平移"),
    "engine.probe.word_shift": ("the shift", "平移距离"),
    "engine.probe.word_scale": ("the scale", "缩放比例"),
    "engine.probe.word_seed": ("the random seed", "随机种子"),
    "engine.probe.word_thickness": ("the stroke thickness", "笔画粗细"),
    "engine.probe.word_noise": ("the noise", "噪声强度"),
    "engine.probe.word_occlusion_value": ("the occlusion patch's grey level", "遮挡块的灰度"),
    "engine.probe.word_fill": ("the fill value", "填充值"),
    "engine.probe.word_epsilon": ("the perturbation size (epsilon)", "扰动幅度"),
    "engine.probe.word_steps": ("the number of steps", "步数"),
    "engine.probe.word_neighbours": ("the number of neighbours", "近邻数量"),
}
