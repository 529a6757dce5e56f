"""Chinese for the engine's error messages, recognised by their English templates.

The engine speaks English: it raises ImageError, IngestError, ModelFileError, ConfigError, SpecError, ... with
English sentences, and the CLI and tests rely on that text. Pages show those messages through
`cnnlab.i18n.explain(message, lang)`, which for Chinese finds the template below that produced the message and
fills the Chinese sentence with the same values. A message it does not recognise stays as it is.

Each entry is key -> (the English template exactly as its raise site formats it, Chinese). Placeholders match any
text and are copied unchanged (file names, sizes, layer names), except:
- NESTED placeholders hold another engine message (an archive's reason inside a model-file error, a spec error
  inside a training problem), translated in turn;
- VALUES lists the words the engine itself puts into a placeholder in English (default file labels, run states).
The Build page's spec checks (cnnlab.analysis.TEMPLATES) are translated from their "build.issue.<code>" strings.
A message of several problems joined by "; " is translated problem by problem.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

STRINGS: dict[str, tuple[str, str]] = {
    # ------------------------------------------------------------ images (cnnlab/images.py)
    "engine.image.not_regular": ("{label} is not a regular file", "{label} 不是普通文件"),
    "engine.image.too_big": ("{label} is {size}; the limit is {limit}", "{label} 的大小为 {size}，上限是 {limit}"),
    "engine.image.cannot_read": ("cannot read {label}: {detail}", "无法读取 {label}：{detail}"),
    "engine.image.text_mode": (
        "{label} was opened in text mode; open it with 'rb'",
        "{label} 是以文本模式打开的，请用 'rb' 模式打开",
    ),
    "engine.image.larger_than": ("{label} is larger than the {limit} limit", "{label} 超过了 {limit} 的大小上限"),
    "engine.image.empty": ("{label} is empty", "{label} 是空文件"),
    "engine.image.no_pixels": ("{label} has no pixels ({width}x{height})", "{label} 没有任何像素（{width}x{height}）"),
    "engine.image.too_many_pixels": (
        "{label} is {width}x{height} = {pixels} pixels; the limit is {limit} (a 'decompression bomb' guard) — "
        "shrink the image first",
        "{label} 的尺寸为 {width}x{height} = {pixels} 像素，超过了 {limit} 像素的上限（用于防范“解压炸弹”）——"
        "请先缩小图像",
    ),
    "engine.image.wrong_file": (
        "{label} is a {format} file; allowed: {allowed}",
        "{label} 是 {format} 文件，不是图像；允许的格式：{allowed}",
    ),
    "engine.image.wrong_format": (
        "{label} is a {format} image; allowed: {allowed}",
        "{label} 是 {format} 图像；允许的格式：{allowed}",
    ),
    "engine.image.damaged_header": (
        "{label} looks like a {format} image but its header is damaged",
        "{label} 看起来是 {format} 图像，但文件头已损坏",
    ),
    "engine.image.unrecognised": (
        "{label} is not a recognised image; allowed: {allowed}",
        "{label} 不是可识别的图像；允许的格式：{allowed}",
    ),
    "engine.image.bomb": ("{label} is too large to decode safely: {detail}", "{label} 太大，无法安全解码：{detail}"),
    "engine.image.memory": (
        "{label} needs more memory to decode than is available",
        "解码 {label} 所需的内存超出了可用内存",
    ),
    "engine.image.damaged": (
        "{label} is damaged or truncated and cannot be decoded ({detail})",
        "{label} 已损坏或不完整，无法解码（{detail}）",
    ),
    # ------------------------------------------------------------ drawings (cnnlab/preprocess.py)
    "engine.draw.empty": ("nothing to recognise: the canvas is empty", "没有可识别的内容：画布是空的"),
    "engine.draw.dot": (
        "nothing to recognise: draw a whole digit, not a dot",
        "没有可识别的内容：请画一个完整的数字，而不只是一个点",
    ),
    # ------------------------------------------------------------ dataset uploads (cnnlab/ingest.py)
    "engine.ingest.bad_name": (
        "dataset name {name} is not allowed: use 1-64 letters, digits, '-' or '_', starting with a letter or digit "
        "(for example my-digits)",
        "数据集名称 {name} 不可用：请使用 1-64 个字母、数字、“-”或“_”，并以字母或数字开头（例如 my-digits）",
    ),
    "engine.ingest.reserved_name": (
        "{name} is the name of a built-in dataset; choose another name",
        "{name} 是内置数据集的名称，请换一个名称",
    ),
    "engine.ingest.name_taken": (
        "a dataset named {name} already exists; choose another name or overwrite it",
        "名为 {name} 的数据集已经存在，请换一个名称，或选择覆盖它",
    ),
    "engine.ingest.too_many_entries": (
        "{label} has {entries} entries; the limit is {limit}",
        "{label} 有 {entries} 个条目，上限是 {limit}",
    ),
    "engine.ingest.huge_directory": (
        "{label} has a {size}-byte directory, far more than {limit} entries need",
        "{label} 的目录有 {size} 字节，远远超出 {limit} 个条目所需",
    ),
    "engine.ingest.not_a_file": ("{path} is not a file", "{path} 不是文件"),
    "engine.ingest.bad_archive": (
        "{label} is not a valid {kind} archive ({detail})",
        "{label} 不是有效的 {kind} 压缩包（{detail}）",
    ),
    "engine.ingest.member_unreadable": ("cannot be read from the zip ({detail})", "无法从 zip 中读取（{detail}）"),
    "engine.ingest.lying_header": (
        "holds more data than its header declares (lying header)",
        "实际数据比文件头声明的多（文件头造假）",
    ),
    "engine.ingest.unpacks_too_much": (
        "the archive unpacks to more than {limit} bytes; refused",
        "压缩包解压后超过 {limit} 字节，已拒绝",
    ),
    "engine.ingest.archive_entries": (
        "the archive has {entries} entries; the limit is {limit}",
        "压缩包有 {entries} 个条目，上限是 {limit}",
    ),
    "engine.ingest.empty_name": ("empty name", "名称为空"),
    "engine.ingest.backslash": (
        "backslash in the path (Windows separators are refused, not reinterpreted)",
        "路径中含有反斜杠（Windows 路径分隔符一律拒绝，不做转换）",
    ),
    "engine.ingest.control_character": ("control character in the name", "名称中含有控制字符"),
    "engine.ingest.absolute_path": (
        "absolute path (entries must be relative to the zip's root)",
        "绝对路径（条目必须是相对于 zip 根目录的路径）",
    ),
    "engine.ingest.traversal": ("'..' in the path (path traversal)", "路径中含有“..”（路径穿越）"),
    "engine.ingest.empty_component": ("empty path component ('//')", "路径中有空的一段（“//”）"),
    "engine.ingest.dot_component": ("'.' component in the path", "路径中含有“.”这一段"),
    "engine.ingest.symlink": ("symbolic link (links are never followed)", "符号链接（从不跟随链接）"),
    "engine.ingest.special_file": ("special file (device, pipe or socket)", "特殊文件（设备、管道或套接字）"),
    "engine.ingest.duplicate": (
        "duplicate entry (the zip lists this name more than once)",
        "重复的条目（zip 中多次出现这个名称）",
    ),
    "engine.ingest.encrypted": (
        "encrypted (password-protected entries are not supported)",
        "已加密（不支持有密码保护的条目）",
    ),
    "engine.ingest.member_too_big": (
        "{size} bytes uncompressed; the per-file limit is {limit}",
        "解压后有 {size} 字节，单个文件的上限是 {limit}",
    ),
    "engine.ingest.zip_bomb": (
        "compression ratio {ratio}:1 exceeds {limit}:1 (zip bomb)",
        "压缩比 {ratio}:1 超过了 {limit}:1（zip 炸弹）",
    ),
    "engine.ingest.declares_too_much": (
        "the archive declares {size} bytes of files; the limit is {limit}",
        "压缩包声明的文件共 {size} 字节，上限是 {limit}",
    ),
    "engine.ingest.outside_class": (
        "not inside a class folder (put each image in a folder named after its class)",
        "不在任何类别文件夹中（请把每张图像放进以其类别命名的文件夹）",
    ),
    "engine.ingest.bad_image_size": (
        "image_size must be (width, height) in whole pixels, not {value}",
        "image_size 必须是以整数像素表示的 (宽, 高)，而不是 {value}",
    ),
    "engine.ingest.bad_color": (
        "color must be 'L', 'RGB' or None, not {value}",
        "color 必须是 'L'、'RGB' 或 None，而不是 {value}",
    ),
    "engine.ingest.few_classes": (
        "found {count} class folder(s) ({found}); a dataset needs at least 2 — put each class's images in its own "
        "folder, e.g. cats/1.png and dogs/1.png",
        "找到 {count} 个类别文件夹（{found}），而数据集至少需要 2 个类别——请把每个类别的图像放进各自的文件夹，"
        "例如 cats/1.png 和 dogs/1.png",
    ),
    "engine.ingest.no_images": ("no usable images were found in the class folders", "类别文件夹中没有找到可用的图像"),
    "engine.ingest.dataset_too_big": (
        "{count} images of {width}x{height}x{channels} need {needed} bytes; the limit is {limit} — choose a smaller "
        "image size",
        "{count} 张 {width}x{height}x{channels} 的图像需要 {needed} 字节，上限是 {limit}——请选择更小的图像尺寸",
    ),
    "engine.ingest.empty_class_folders": (
        "class folder(s) {names} have no usable images (see the rejected files); every class needs at least one",
        "类别文件夹 {names} 中没有可用的图像（见被拒绝的文件）；每个类别至少需要一张图像",
    ),
    "engine.ingest.array_unreadable": (
        "array {key} cannot be read from the zip ({detail})",
        "无法从 zip 中读取数组 {key}（{detail}）",
    ),
    "engine.ingest.array_lying_header": (
        "array {key} holds more data than its header declares (lying header)",
        "数组 {key} 的实际数据比文件头声明的多（文件头造假）",
    ),
    "engine.ingest.bad_npy": (
        "array {key} is not a valid .npy array ({detail})",
        "数组 {key} 不是有效的 .npy 数组（{detail}）",
    ),
    "engine.ingest.objects": (
        "array {key} holds Python objects or records; only plain numeric arrays are accepted",
        "数组 {key} 含有 Python 对象或结构化记录；只接受普通的数值数组",
    ),
    "engine.ingest.npy_size": (
        "array {key} is truncated or padded: its header says shape {shape} of {dtype}",
        "数组 {key} 被截断或填充过：它的文件头声明形状为 {shape}、类型为 {dtype}",
    ),
    "engine.ingest.npy_load": ("array {key} cannot be loaded ({detail})", "无法加载数组 {key}（{detail}）"),
    "engine.ingest.x_not_numeric": (
        "x must be numeric (uint8 0-255 or floats 0-1), not {dtype}",
        "x 必须是数值（0-255 的 uint8，或 0-1 的浮点数），而不是 {dtype}",
    ),
    "engine.ingest.x_empty": ("x is empty", "x 是空的"),
    "engine.ingest.x_not_finite": ("x contains NaN or infinite values", "x 中含有 NaN 或无穷大"),
    "engine.ingest.float_range_hint": (
        "float images must be in [0, 1]; x ranges over [{low}, {high}] (divide by 255 first, or save it as uint8)",
        "浮点图像的取值必须在 [0, 1] 之内，而 x 的取值范围是 [{low}, {high}]（请先除以 255，或保存为 uint8）",
    ),
    "engine.ingest.float_range": (
        "float images must be in [0, 1]; x ranges over [{low}, {high}]",
        "浮点图像的取值必须在 [0, 1] 之内，而 x 的取值范围是 [{low}, {high}]",
    ),
    "engine.ingest.int_range": (
        "integer images must be in 0-255; x ranges over [{low}, {high}]",
        "整数图像的取值必须在 0-255 之内，而 x 的取值范围是 [{low}, {high}]",
    ),
    "engine.ingest.y_shape": (
        "y must have shape ({n},) to match x, not {shape}",
        "y 的形状必须是 ({n},)，与 x 对应，而不是 {shape}",
    ),
    "engine.ingest.y_whole": ("y must hold whole-number class indices", "y 必须是整数的类别索引"),
    "engine.ingest.y_integer": (
        "y must hold integer class indices, not {dtype}",
        "y 必须是整数的类别索引，而不是 {dtype}",
    ),
    "engine.ingest.y_negative": (
        "y has a negative label ({value}); labels are class indices 0..K-1",
        "y 中有负数标签（{value}）；标签应是 0..K-1 的类别索引",
    ),
    "engine.ingest.array_refused": ("array {key} was refused: {reason}", "数组 {key} 被拒绝：{reason}"),
    "engine.ingest.missing_arrays": (
        "the .npz must hold arrays named 'x' and 'y'; it has: {found}",
        ".npz 文件必须包含名为 'x' 和 'y' 的数组，而它含有：{found}",
    ),
    "engine.ingest.x_shape": (
        "x must have shape (N, H, W) or (N, H, W, 1|3), not {shape}",
        "x 的形状必须是 (N, H, W) 或 (N, H, W, 1|3)，而不是 {shape}",
    ),
    "engine.ingest.npz_pixels": (
        "images of {width}x{height} exceed the {limit}-pixel limit",
        "{width}x{height} 的图像超过了 {limit} 像素的上限",
    ),
    "engine.ingest.npz_values": ("x has {count} values; the limit is {limit}", "x 有 {count} 个值，上限是 {limit}"),
    "engine.ingest.class_names_array": (
        "class_names in the .npz must be a 1-D array of strings",
        ".npz 中的 class_names 必须是一维字符串数组",
    ),
    "engine.ingest.class_names_distinct": (
        "class names must be non-empty and distinct",
        "类别名称不能为空，也不能重复",
    ),
    "engine.ingest.label_without_name": (
        "label {value} has no class name ({count} class names given)",
        "标签 {value} 没有对应的类别名称（只给出了 {count} 个类别名称）",
    ),
    "engine.ingest.one_class": (
        "a dataset needs at least 2 classes; y only uses {count}",
        "数据集至少需要 2 个类别，而 y 只用到了 {count} 个",
    ),
    "engine.ingest.empty_classes": (
        "class(es) {names} have no images in y; every class needs at least one",
        "类别 {names} 在 y 中没有任何图像；每个类别至少需要一张图像",
    ),
    # ------------------------------------------------------------ model uploads (cnnlab/modelfiles.py)
    "engine.model.too_big": (
        "the model file is {size} MB; the limit is {limit} MB",
        "模型文件大小为 {size} MB，上限是 {limit} MB",
    ),
    "engine.model.not_keras": (
        "this is not a Keras model: expected a .keras (zip) or .h5 (HDF5) file",
        "这不是 Keras 模型：需要 .keras（zip）或 .h5（HDF5）文件",
    ),
    "engine.model.unsafe_entry": (
        "the .keras archive has an unsafe entry {name}: {reason}",
        ".keras 压缩包中有不安全的条目 {name}：{reason}",
    ),
    "engine.model.no_config": (
        "the .keras archive has no config.json, so it is not a Keras 3 model",
        ".keras 压缩包中没有 config.json，所以它不是 Keras 3 模型",
    ),
    "engine.model.config_too_big": (
        "config.json is {size} bytes; the limit is {limit}",
        "config.json 有 {size} 字节，上限是 {limit}",
    ),
    "engine.model.damaged_keras": (
        "the .keras file is damaged or unsafe: {reason}",
        ".keras 文件已损坏或不安全：{reason}",
    ),
    "engine.model.not_json": (
        "the model's architecture description is not valid JSON",
        "模型的结构描述不是有效的 JSON",
    ),
    "engine.model.not_object": (
        "the model's architecture description is not an object",
        "模型的结构描述不是 JSON 对象",
    ),
    "engine.model.damaged_h5": ("the .h5 file is damaged ({detail})", ".h5 文件已损坏（{detail}）"),
    "engine.model.weights_only": (
        "the .h5 file holds only weights, no model architecture",
        ".h5 文件中只有权重，没有模型结构",
    ),
    "engine.model.h5_config_damaged": (
        "the .h5 file's architecture description is damaged",
        ".h5 文件中的模型结构描述已损坏",
    ),
    "engine.model.architecture_too_big": (
        "the model architecture is {size} bytes; the limit is {limit}",
        "模型结构描述有 {size} 字节，上限是 {limit}",
    ),
    "engine.model.empty_output": (
        "a layer's output would be empty ({size} wide input, kernel {kernel}, stride {stride})",
        "某一层的输出将为空（输入宽 {size}，卷积核 {kernel}，步长 {stride}）",
    ),
    "engine.model.input_no_shape": ("the model's input has no declared shape", "模型的输入层没有声明形状"),
    "engine.model.unknown_layer": (
        "layer type {type} is not one CNN Lab can check safely, so the model is refused",
        "CNN Lab 无法安全地检查 {type} 类型的层，因此拒绝了这个模型",
    ),
    "engine.model.code_layer": (
        "the model contains a {type} layer, which runs arbitrary Python code; CNN Lab refuses it",
        "模型中有 {type} 层，它会运行任意 Python 代码；CNN Lab 拒绝加载",
    ),
    "engine.model.custom_class": (
        "the model uses a custom class {name} from {module}; only built-in Keras layers are loaded",
        "模型使用了来自 {module} 的自定义类 {name}；只加载 Keras 内置的层",
    ),
    "engine.model.too_many_layers": ("the model has more than {limit} layers", "模型的层数超过了 {limit}"),
    "engine.model.too_many_params": (
        "the model declares more than {limit} parameters (it would need over {gb} GB); refused before loading",
        "模型声明的参数量超过 {limit}（需要 {gb} GB 以上的内存），已在加载前拒绝",
    ),
    "engine.model.maps_too_large": (
        "the model's feature maps are too large for this machine; refused before loading",
        "模型的特征图太大，这台机器容纳不下，已在加载前拒绝",
    ),
    "engine.model.no_layers": ("the model's layer list is missing", "模型缺少层列表"),
    "engine.model.old_format": (
        "this model file uses an old layer-graph format; re-save it with Keras 3",
        "这个模型文件使用的是旧的层连接格式，请用 Keras 3 重新保存",
    ),
    "engine.model.unknown_input_size": (
        "cannot tell the input size of layer {name}",
        "无法确定层 {name} 的输入尺寸",
    ),
    "engine.model.bad_layer_config": (
        "layer {name} has an invalid configuration ({detail})",
        "层 {name} 的配置无效（{detail}）",
    ),
    "engine.model.nested": ("the model is nested too deeply", "模型的嵌套层数太深"),
    "engine.model.input_undeclared": ("the model's input shape is not declared", "模型没有声明输入形状"),
    "engine.model.keras_failed": ("Keras could not load this model: {reason}", "Keras 无法加载这个模型：{reason}"),
    "engine.model.contains_code": (
        "it contains code (a Lambda or custom function), which CNN Lab never runs",
        "它含有代码（Lambda 层或自定义函数），而 CNN Lab 从不运行这类代码",
    ),
    # ------------------------------------------------------------ training settings (cnnlab/training.py)
    "engine.train.unknown_settings": (
        "unknown setting(s) {names}; known settings: {known}",
        "未知的设置项 {names}；可用的设置项：{known}",
    ),
    "engine.train.not_whole": ("{setting} must be a whole number, got {value}", "{setting} 必须是整数，实际为 {value}"),
    "engine.train.not_number": ("{setting} must be a number, got {value}", "{setting} 必须是数值，实际为 {value}"),
    "engine.train.range_open": (
        "{setting} must be above {low} and at most {high}, got {value}",
        "{setting} 必须大于 {low} 且不超过 {high}，实际为 {value}",
    ),
    "engine.train.range": (
        "{setting} must be at least {low} and at most {high}, got {value}",
        "{setting} 必须在 {low} 到 {high} 之间，实际为 {value}",
    ),
    "engine.train.not_choice": (
        "{setting} must be one of {choices}, got {value}",
        "{setting} 必须是以下之一：{choices}，实际为 {value}",
    ),
    "engine.train.metrics": (
        "metrics must be a list drawn from {choices}, got {value}",
        "metrics 必须是由 {choices} 中的指标组成的列表，实际为 {value}",
    ),
    "engine.train.monitor_needs_val": (
        "monitor {monitor} needs a validation split: set val_fraction above 0 or monitor loss",
        "监控指标 {monitor} 需要验证集：请把验证集比例 val_fraction 设为大于 0，或改为监控 loss",
    ),
    "engine.train.not_bool": (
        "{setting} must be true or false, got {value}",
        "{setting} 必须是 true 或 false，实际为 {value}",
    ),
    "engine.train.augmentation_type": (
        "augmentation must be a mapping like {{'translation': 0.1}}, got {value}",
        "augmentation 必须是类似 {{'translation': 0.1}} 的映射，实际为 {value}",
    ),
    "engine.train.augmentation_unknown": (
        "augmentation has no setting {key}; it accepts {choices}",
        "数据增强没有 {key} 这个设置项，可用的设置项：{choices}",
    ),
    "engine.train.augmentation_flip": (
        "augmentation flip must be true or false, got {value}",
        "数据增强的 flip 必须是 true 或 false，实际为 {value}",
    ),
    "engine.train.augmentation_range": (
        "augmentation {key} must be a fraction between 0 and 0.5, got {value}",
        "数据增强的 {key} 必须是 0 到 0.5 之间的比例，实际为 {value}",
    ),
    "engine.train.unknown_dataset": (
        "unknown dataset {name}; choose one of {names}",
        "未知的数据集 {name}，请从以下数据集中选择：{names}",
    ),
    "engine.train.dataset_unavailable": ("dataset {name} is not available: {reason}", "数据集 {name} 不可用：{reason}"),
    "engine.train.batch_too_big": (
        "batch_size {batch} is larger than the {count} training images; use {count} or less",
        "批大小 batch_size（{batch}）超过了训练图像的数量（{count} 张），请设为 {count} 或更小",
    ),
    "engine.train.no_start_model": ("the starting model {path} does not exist", "起始模型 {path} 不存在"),
    "engine.train.architecture": ("architecture: {reason}", "网络结构：{reason}"),
    "engine.train.shape_mismatch": (
        "the architecture takes {got} images but {dataset} has {shape} images; rebuild it for {shape} (presets adapt "
        "when you pick them for this dataset)",
        "该网络结构接收 {got} 的图像，而 {dataset} 的图像是 {shape}；请按 {shape} 重新构建（为这个数据集选择预设时会"
        "自动适配）",
    ),
    "engine.train.classes_mismatch": (
        "the architecture has {outputs} outputs but {dataset} has {classes} classes; rebuild it for this dataset",
        "该网络结构有 {outputs} 个输出，而 {dataset} 有 {classes} 个类别；请为这个数据集重新构建",
    ),
    "engine.train.does_not_fit": (
        "the architecture does not fit the data: {reason}",
        "网络结构与数据不匹配：{reason}",
    ),
    "engine.train.out_of_memory": (
        "out of memory: training this network at this batch size needs about {needed} GiB but only {free} GiB are "
        "free; lower the batch size or use a smaller network",
        "内存不足：以当前的批大小训练这个网络约需 {needed} GiB，但只有 {free} GiB 可用；请减小批大小，或换用更小的网络",
    ),
    "engine.train.extra_missing": ("extra_data file {path} does not exist", "extra_data 文件 {path} 不存在"),
    "engine.train.extra_shape": (
        "extra_data must hold x of shape (N, {shape}) and N labels y, got x {x} and y {y}",
        "extra_data 必须包含形状为 (N, {shape}) 的 x 和 N 个标签 y，实际为 x {x}、y {y}",
    ),
    "engine.train.extra_labels": (
        "extra_data labels must be between 0 and {high}",
        "extra_data 的标签必须在 0 到 {high} 之间",
    ),
    "engine.train.extra_unreadable": (
        "cannot read extra_data {path}: {detail} (expected an .npz with arrays x and y)",
        "无法读取 extra_data {path}：{detail}（需要包含数组 x 和 y 的 .npz 文件）",
    ),
    "engine.train.mirrored_batch": (
        "batch_size {batch} must be a multiple of the {devices} devices that the mirrored strategy splits every batch "
        "over",
        "批大小 batch_size（{batch}）必须是 {devices} 的倍数：mirrored 策略会把每个批次平均分到这 {devices} 个设备上",
    ),
    "engine.train.start_shape": (
        "the starting model takes {got} images but {dataset} has {shape} images",
        "起始模型接收 {got} 的图像，而 {dataset} 的图像是 {shape}",
    ),
    "engine.train.start_classes": (
        "the starting model has {outputs} outputs but {dataset} has {classes} classes",
        "起始模型有 {outputs} 个输出，而 {dataset} 有 {classes} 个类别",
    ),
    "engine.train.start_arch": (
        "give the architecture of the starting model (it is not a model from an earlier run)",
        "请给出起始模型的网络结构（它不是之前某次运行训练出的模型）",
    ),
    # ------------------------------------------------------------ why a run ended (cnnlab/worker.py, cnnlab/jobs.py)
    "engine.run.invalid_config": ("invalid configuration: {reason}", "设置无效：{reason}"),
    "engine.run.crashed_oom": (
        "out of memory: the batch or the network is too large for this machine; lower the batch size or use a "
        "smaller network",
        "内存不足：对这台机器来说批次或网络太大；请减小批大小，或换用更小的网络",
    ),
    "engine.run.worker_oom": (
        "out of memory: the worker crashed allocating memory; lower the batch size or use a smaller network",
        "内存不足：训练进程在分配内存时崩溃；请减小批大小，或换用更小的网络",
    ),
    "engine.run.keyboard": ("interrupted by the keyboard", "被键盘中断"),
    "engine.run.never_started": ("the worker process never started", "训练进程没有启动"),
    "engine.run.worker_died": (
        "the worker process (pid {pid}) ended unexpectedly",
        "训练进程（pid {pid}）意外结束",
    ),
    "engine.run.no_heartbeat": (
        "the worker (pid {pid}) stopped responding: no heartbeat for {seconds}s",
        "训练进程（pid {pid}）已无响应：{seconds} 秒没有心跳",
    ),
    "engine.run.cannot_start": ("could not start a worker: {detail}", "无法启动训练进程：{detail}"),
    "engine.run.stopped_early": ("stopped before it started", "在开始之前就停止了"),
    "engine.run.stopped": ("stopped on request", "已按要求停止"),
    "engine.run.early_stopping": ("early stopping after epoch {epoch}", "在第 {epoch} 轮之后提前停止"),
    # ------------------------------------------------------------ run actions (cnnlab/jobs.py)
    "engine.job.cannot_stop": (
        "run {run} is {status}; only queued or running runs can be stopped",
        "运行 {run} 的状态是“{status}”；只有排队中或训练中的运行可以停止",
    ),
    "engine.job.cannot_resume_active": (
        "run {run} is {status} (it is still going); only stopped or interrupted runs can be resumed",
        "运行 {run} 的状态是“{status}”（它还在进行）；只有已停止或已中断的运行可以继续",
    ),
    "engine.job.cannot_resume": (
        "run {run} is {status}; only stopped or interrupted runs can be resumed",
        "运行 {run} 的状态是“{status}”；只有已停止或已中断的运行可以继续",
    ),
    "engine.job.changed": ("run {run} changed state meanwhile; try again", "运行 {run} 的状态刚刚变了，请再试一次"),
    "engine.job.still_training": ("run {run} is still training; stop it first", "运行 {run} 还在训练，请先停止它"),
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
    # ------------------------------------------------------------ export (cnnlab/export.py)
    "engine.export.no_model": (
        "this run has no saved model yet (it saves one after its first completed epoch)",
        "这次运行还没有保存模型（完成第一轮训练后才会保存）",
    ),
    "engine.export.needs_tensorflow": (
        "{what} export needs TensorFlow, which is not installed here (Keras runs on {backend}); export this run on a "
        "machine with TensorFlow, e.g. where the app runs: its .keras checkpoint works there unchanged",
        "导出 {what} 需要 TensorFlow，但这里没有安装（Keras 运行在 {backend} 上）；请在装有 TensorFlow 的机器上导出"
        "这次运行，例如运行本应用的机器：它的 .keras 检查点在那里可以直接使用",
    ),
    "engine.export.savedmodel_failed": ("SavedModel export failed: {detail}", "导出 SavedModel 失败：{detail}"),
    "engine.export.tflite_failed": (
        "TensorFlow Lite conversion failed: {detail}",
        "转换为 TensorFlow Lite 失败：{detail}",
    ),
    # ------------------------------------------------------------ inspection (cnnlab/inspection.py)
    "engine.inspect.backend": (
        "gradients (Grad-CAM, saliency) need the TensorFlow or JAX backend, not {backend}",
        "梯度（Grad-CAM、显著图）需要 TensorFlow 或 JAX 后端，而不是 {backend}",
    ),
    "engine.inspect.inputs": (
        "model {name} takes {count} inputs; only one image input works",
        "模型 {name} 有 {count} 个输入；只支持单个图像输入",
    ),
    "engine.inspect.subclassed": (
        "{name} is a subclassed model: only Sequential and Functional models can be inspected layer by layer",
        "{name} 是子类化模型：只有 Sequential 和 Functional 模型可以逐层查看",
    ),
    "engine.inspect.no_layers": ("the model has no layers to inspect", "模型中没有可查看的层"),
    "engine.inspect.no_cam_layer": (
        "Grad-CAM needs a layer with a feature map (H x W x C); this model has none",
        "Grad-CAM 需要一个输出特征图（H x W x C）的层，而这个模型没有",
    ),
    "engine.inspect.class_range": (
        "class {index} is out of range: the model has {count} classes (0..{last})",
        "类别 {index} 超出范围：模型共有 {count} 个类别（0..{last}）",
    ),
    "engine.inspect.no_snapshots": ("no filter snapshots were saved for this run", "这次运行没有保存卷积核快照"),
    "engine.inspect.classes_mismatch": (
        "the model outputs {outputs} classes but the dataset has {classes}",
        "模型输出 {outputs} 个类别，而数据集有 {classes} 个",
    ),
    "engine.inspect.empty_test": ("the test split is empty — nothing to evaluate", "测试集是空的——没有可评估的内容"),
    "engine.inspect.no_penultimate": (
        "the model's head takes the image directly; there is no penultimate layer to project",
        "模型的输出层直接接收图像；没有可用于投影的倒数第二层",
    ),
    "engine.inspect.tsne_sklearn": (
        "t-SNE needs scikit-learn: pip install scikit-learn (or use method='pca')",
        "t-SNE 需要 scikit-learn：请运行 pip install scikit-learn（或改用 method='pca'）",
    ),
    "engine.inspect.tsne_few": (
        "t-SNE needs at least 5 images, got {count}",
        "t-SNE 至少需要 5 张图像，实际只有 {count} 张",
    ),
    "engine.inspect.embedding_few": (
        "an embedding needs at least 3 images, got {count}",
        "降维投影至少需要 3 张图像，实际只有 {count} 张",
    ),
    # ------------------------------------------------------------ teaching with drawings (cnnlab/teach.py)
    "engine.teach.channels": (
        "the model takes {channels}-channel images; only grayscale (1) or colour (3) images can be fed",
        "模型接收 {channels} 通道的图像；只能输入灰度（1 通道）或彩色（3 通道）图像",
    ),
    "engine.teach.label": (
        "the label must be a class number between 0 and {high}, got {value}",
        "标签必须是 0 到 {high} 之间的类别编号，实际为 {value}",
    ),
    "engine.teach.empty": ("the drawing is empty; draw a digit first", "画布是空的，请先画一个数字"),
    "engine.teach.full": (
        "your set already holds {count} drawings; remove some before adding more",
        "你的手写集里已经有 {count} 张，请先删掉一些再添加",
    ),
    "engine.teach.no_such_drawing": (
        "there is no drawing number {index}; the set has {count}",
        "没有编号为 {index} 的手写数字；手写集里共有 {count} 张",
    ),
    "engine.teach.none_yet": (
        "add at least one drawing with its correct label before fine-tuning",
        "微调之前，请至少在手写集里加入一张标好正确标签的手写数字",
    ),
    "engine.teach.not_digits": (
        "drawings are 28x28 grayscale; run {name} takes {shape} images",
        "手写数字是 28x28 的灰度图像，而运行 {name} 接收的是 {shape} 的图像",
    ),
    "engine.teach.damaged": (
        "the drawings file {path} is damaged ({detail}); delete it to start a new set",
        "手写集文件 {path} 已损坏（{detail}）；删除它即可重新开始",
    ),
    "engine.teach.wrong_arrays": (
        "the drawings file {path} holds x {x} and y {y}; delete it to start a new set",
        "手写集文件 {path} 中的 x 为 {x}、y 为 {y}，两者不匹配；删除它即可重新开始",
    ),
    # ------------------------------------------------------------ demo mode (cnnlab/demo.py)
    "engine.demo.uploads": (
        "demo limit: at most {count} uploads per visitor",
        "演示模式限制：每位访客最多上传 {count} 个文件",
    ),
    "engine.demo.upload_bytes": (
        "demo limit: at most {mb} MB of uploads per visitor",
        "演示模式限制：每位访客最多上传 {mb} MB",
    ),
    "engine.demo.busy": (
        "the demo is busy: too many predictions at once, try again in a moment",
        "演示正忙：同时进行的预测太多，请稍后再试",
    ),
}

# Placeholders that hold another engine message: translated in turn.
NESTED = frozenset({"reason", "issue", "hint"})

# Words the engine itself writes into a placeholder in English, per placeholder name.
VALUES: dict[str, dict[str, str]] = {
    "label": {
        "the image": "这张图像",
        "the uploaded zip": "上传的 zip 文件",
        "the uploaded .npz": "上传的 .npz 文件",
        "the uploaded .keras": "上传的 .keras 文件",
    },
    "found": {"none": "无"},
    "status": {
        "queued": "排队中",
        "running": "训练中",
        "finished": "已完成",
        "stopped": "已停止",
        "failed": "失败",
        "interrupted": "已中断",
    },
}

_BYTES = re.compile(r"([\d,]+) bytes")  # images.py writes small sizes as "12,345 bytes"
_FORMATTER = string.Formatter()


@dataclass(frozen=True)
class Template:
    key: str
    english: str
    chinese: str
    pattern: re.Pattern[str]
    literal: int  # characters of fixed text: when two templates match, the more specific one wins


def compile_template(key: str, english: str, chinese: str) -> Template:
    """A template whose placeholders each match any text (a repeated placeholder must repeat its value)."""
    parts: list[str] = []
    seen: set[str] = set()
    literal = 0
    for text, name, _spec, _conversion in _FORMATTER.parse(english):
        parts.append(re.escape(text))
        literal += len(text)
        if name is not None:
            parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.*?)")
            seen.add(name)
    return Template(key, english, chinese, re.compile("".join(parts), re.DOTALL), literal)


@lru_cache(maxsize=1)
def templates() -> tuple[Template, ...]:
    """Every template, most specific first: this module's, plus the Build page's spec checks."""
    pairs = [(key, en, zh) for key, (en, zh) in STRINGS.items()]
    try:
        from cnnlab.arch.analysis import TEMPLATES
        from cnnlab.i18n import CATALOGUE
    except ImportError:  # pragma: no cover - analysis is part of the engine
        TEMPLATES, CATALOGUE = {}, {}
    for code, en in TEMPLATES.items():
        if f"build.issue.{code}" in CATALOGUE:
            pairs.append((f"build.issue.{code}", en, CATALOGUE[f"build.issue.{code}"][1]))
    if "build.issue.hint" in CATALOGUE:
        pairs.append(("build.issue.hint", *CATALOGUE["build.issue.hint"]))
    compiled = [compile_template(*pair) for pair in pairs]
    return tuple(sorted(compiled, key=lambda tpl: -tpl.literal))


class Explained(NamedTuple):
    """A translation, how many characters of it are still the engine's English (copied values and unknown text),
    and the placeholder values copied over unchanged (file names, numbers, layer names)."""

    left: int
    text: str
    copied: tuple[str, ...]


def match(message: str) -> tuple[Template, dict[str, str]] | None:
    """The template that produced `message` as a whole, with its placeholder values; None when none did."""
    best = _best(message)
    return None if best is None else best[:2]


@lru_cache(maxsize=4096)
def _best(message: str) -> tuple[Template, dict[str, str], Explained] | None:
    """The template that explains most of `message`, its values, and the Chinese.

    Any text fits a placeholder, so several templates may match; the one leaving the least text untranslated
    wins (a nested message counts by what is left of it), then the one with the most fixed text."""
    found = None
    for tpl in templates():
        hit = tpl.pattern.fullmatch(message)
        if hit is None:
            continue
        values = hit.groupdict()
        left, out, copied, word = 0, [], [], False
        for text, name, _spec, _conversion in _FORMATTER.parse(tpl.chinese):
            out.append(text.lstrip(" ") if word else text)  # no space between Chinese words: "这张图像的大小"
            if name is not None:
                part = _value(name, values[name])
                word = name not in NESTED and part.left == 0  # a word the engine wrote, now in Chinese
                if word:
                    out[-1] = out[-1].rstrip(" ")
                left += part.left
                out.append(part.text)
                copied += part.copied
        if found is None or left < found[2].left:
            found = (tpl, values, Explained(left, "".join(out), tuple(copied)))
    return found


def _value(name: str, value: str) -> Explained:
    if name in NESTED:
        return explain(value)
    if value in VALUES.get(name, {}):
        return Explained(0, VALUES[name][value], ())
    size = _BYTES.fullmatch(value)
    return Explained(len(value), f"{size[1]} 字节" if size else value, (value,))


def translate(message: str) -> str:
    """`message` in Chinese where its templates are known; unknown parts stay as they are."""
    return explain(message).text


def explain(message: str) -> Explained:
    """`message` in Chinese, with what is left of the English.

    Problems joined by "; " are split where that explains the most text (a template may contain "; " itself).
    Nothing recognised: the message exactly as it was.
    """
    parts = message.split("; ")
    if len(parts) > 40:  # not a list of problems: whole or nothing
        whole = _best(message)
        return Explained(len(message), message, ()) if whole is None else whole[2]
    # best[i]: (characters left untranslated, -pieces, translated pieces, copied values) for the first i parts
    best: list[tuple[int, int, list[str], tuple[str, ...]] | None] = [(0, 0, [], ())] + [None] * len(parts)
    for i in range(1, len(parts) + 1):
        for j in range(i):
            prev = best[j]
            if prev is None:
                continue
            chunk = "; ".join(parts[j:i])
            hit = _best(chunk)
            if hit is None and i - j > 1:
                continue
            done = Explained(len(chunk), chunk, ()) if hit is None else hit[2]
            candidate = (prev[0] + done.left, prev[1] - 1, [*prev[2], done.text], prev[3] + done.copied)
            if best[i] is None or candidate[:2] < best[i][:2]:  # type: ignore[index]
                best[i] = candidate
    left, _, pieces, copied = best[-1]  # type: ignore[misc]
    if pieces == parts:
        return Explained(len(message), message, ())
    return Explained(left, "；".join(pieces), copied)
