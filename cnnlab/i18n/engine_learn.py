"""Engine errors of the Learn lessons and the convolution sandbox (cnnlab/learn/). Each key -> (English, 简体中文)."""

STRINGS = {
    "engine.learn.unknown_kernel": (
        "unknown kernel {value}; known kernels: {choices}",
        "未知的卷积核 {value}；可用的卷积核：{choices}",
    ),
    "engine.learn.shapes": (
        "the sandbox needs a 2-D image and a square kernel, got {image} and {kernel}",
        "沙盒需要一张二维图像和一个方形卷积核，实际为 {image} 和 {kernel}",
    ),
    "engine.learn.padding": (
        "padding must be valid or same, got {value}",
        "填充方式必须是 valid 或 same，实际为 {value}",
    ),
    "engine.learn.stride": ("the stride must be from 1 to 8, got {value}", "步长必须在 1 到 8 之间，实际为 {value}"),
    "engine.learn.too_small": (
        "a {size}-pixel side is smaller than the {k}×{k} window: use same padding or a smaller window",
        "{size} 像素的边长小于 {k}×{k} 的窗口：请改用 same 填充或更小的窗口",
    ),
    "engine.learn.malformed": ("lesson file {file}, line {line}: {detail}", "课程文件 {file} 第 {line} 行：{detail}"),
    "engine.learn.no_front_matter": (
        "the file must start with a line of three dashes (---) opening the YAML header",
        "文件必须以一行三个短横线（---）开始 YAML 头部",
    ),
    "engine.learn.unclosed_front_matter": (
        "the YAML header is never closed by a line of three dashes (---)",
        "YAML 头部没有以一行三个短横线（---）结束",
    ),
    "engine.learn.missing": ("{key} is missing here", "此处缺少 {key}"),
    "engine.learn.wrong_kind": ("{key} has the wrong kind of value here", "此处 {key} 的值类型不对"),
    "engine.learn.unknown_word": ("{key}: unknown {value}; known: {choices}", "{key}：未知的 {value}；可用：{choices}"),
    "engine.learn.bad_name": (
        "the file name must look like {example} (order, id, language)",
        "文件名必须形如 {example}（顺序、编号、语言）",
    ),
    "engine.learn.id_mismatch": (
        "{value} does not match the file name {file}",
        "{value} 与文件名 {file} 不一致",
    ),
    "engine.learn.no_model": (
        "there is no finished {arch} run to ask about yet: do the training step first",
        "还没有已完成的 {arch} 训练可供提问：请先完成训练这一步",
    ),
    "engine.learn.no_layer": ("{model} has no layer {layer}", "{model} 没有第 {layer} 层"),
}
