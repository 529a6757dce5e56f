"""Engine errors about files people bring: images, drawings, datasets and their uploads, model files.

Each key -> (English, 简体中文). A raise site names the key: raise ImageError("engine.image.empty", label=...).
Words the engine puts into these sentences itself ("the image", "none", "12,345 bytes") are Phrases: engine.word.*.
"""

STRINGS = {
    # ------------------------------------------------------------ words the engine puts into sentences (Phrase)
    "engine.word.the_image": ("the image", "这张图像"),
    "engine.word.uploaded_zip": ("the uploaded zip", "上传的 zip 文件"),
    "engine.word.uploaded_npz": ("the uploaded .npz", "上传的 .npz 文件"),
    "engine.word.uploaded_keras": ("the uploaded .keras", "上传的 .keras 文件"),
    "engine.word.none": ("none", "无"),
    "engine.word.bytes": ("{count} bytes", "{count} 字节"),
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
    "engine.image.too_many_scans": (
        "{label} is a JPEG of {scans} scans; at most {limit} are accepted (each scan decodes the whole image again)",
        "{label} 是包含 {scans} 次扫描的 JPEG 图像；最多接受 {limit} 次（每次扫描都要把整张图像重新解码一遍）",
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
    # load_image's own settings (set by the code that calls it)
    "engine.image.bad_mode": (
        "mode must be None, 'L' or 'RGB', not {value}",
        "mode 必须是 None、'L' 或 'RGB'，而不是 {value}",
    ),
    "engine.image.bad_max_pixels": ("max_pixels must be a positive integer", "max_pixels 必须是正整数"),
    "engine.image.bad_size": (
        "size must be (width, height) in whole pixels, not {value}",
        "size 必须是以整数像素表示的 (宽, 高)，而不是 {value}",
    ),
    "engine.image.size_over_limit": (
        "size {width}x{height} exceeds the {limit}-pixel limit",
        "size {width}x{height} 超过了 {limit} 像素的上限",
    ),
    "engine.image.bad_background": (
        "background must be 0-255 or an (r, g, b) tuple of 0-255, not {value}",
        "background 必须是 0-255 的数，或由 0-255 组成的 (r, g, b) 元组，而不是 {value}",
    ),
    # ------------------------------------------------------------ drawings (cnnlab/preprocess.py)
    "engine.draw.empty": ("nothing to recognise: the canvas is empty", "没有可识别的内容：画布是空的"),
    "engine.draw.dot": (
        "nothing to recognise: draw a whole digit, not a dot",
        "没有可识别的内容：请画一个完整的数字，而不只是一个点",
    ),
    "engine.draw.bad_shape": (
        "expected an HxW, HxWx1, HxWx3 or HxWx4 image, got shape {shape}",
        "图像的形状必须是 (H, W)、(H, W, 1)、(H, W, 3) 或 (H, W, 4)，而实际是 {shape}",
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
        "array {array} cannot be read from the zip ({detail})",
        "无法从 zip 中读取数组 {array}（{detail}）",
    ),
    "engine.ingest.array_lying_header": (
        "array {array} holds more data than its header declares (lying header)",
        "数组 {array} 的实际数据比文件头声明的多（文件头造假）",
    ),
    "engine.ingest.bad_npy": (
        "array {array} is not a valid .npy array ({detail})",
        "数组 {array} 不是有效的 .npy 数组（{detail}）",
    ),
    "engine.ingest.npy_version": (
        "array {array} is not a valid .npy array (unsupported .npy version {version})",
        "数组 {array} 不是有效的 .npy 数组（不支持的 .npy 版本 {version}）",
    ),
    "engine.ingest.objects": (
        "array {array} holds Python objects or records; only plain numeric arrays are accepted",
        "数组 {array} 含有 Python 对象或结构化记录；只接受普通的数值数组",
    ),
    "engine.ingest.npy_size": (
        "array {array} is truncated or padded: its header says shape {shape} of {dtype}",
        "数组 {array} 被截断或填充过：它的文件头声明形状为 {shape}、类型为 {dtype}",
    ),
    "engine.ingest.npy_load": ("array {array} cannot be loaded ({detail})", "无法加载数组 {array}（{detail}）"),
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
    "engine.ingest.label_too_large": (
        "y has the label {value}; CNN Lab takes at most {limit} classes, so labels run from 0 to {limit} minus 1",
        "y 中有标签 {value}；CNN Lab 最多支持 {limit} 个类别，所以标签只能在 0 到 {limit} 减 1 之间",
    ),
    "engine.ingest.too_many_classes": (
        "the dataset has {count} classes; CNN Lab takes at most {limit}",
        "这个数据集有 {count} 个类别；CNN Lab 最多支持 {limit} 个",
    ),
    "engine.ingest.class_names_encoding": (
        "class_names holds text that is not UTF-8; save the names as UTF-8 strings",
        "class_names 中有无法识别编码的文字；请把类别名称另存为常规的文本（UTF-8 编码）",
    ),
    "engine.ingest.y_negative": (
        "y has a negative label ({value}); labels are class indices 0..K-1",
        "y 中有负数标签（{value}）；标签应是 0..K-1 的类别索引",
    ),
    "engine.ingest.array_refused": ("array {array} was refused: {reason}", "数组 {array} 被拒绝：{reason}"),
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
    "engine.model.malformed": (
        "the model's configuration is malformed: a layer has a setting it cannot have (such as a stride of 0) or a "
        "part of the model is missing",
        "模型的配置格式有误：某一层的设置不可能成立（例如步长为 0），或模型缺少某个部分",
    ),
    "engine.model.nested": ("the model is nested too deeply", "模型的嵌套层数太深"),
    "engine.model.input_undeclared": ("the model's input shape is not declared", "模型没有声明输入形状"),
    "engine.model.missing": ("there is no model file {path}", "没有模型文件 {path}"),
    "engine.model.not_regular": (
        "{path} is not a regular file (a device, a pipe or a folder cannot be a model)",
        "{path} 不是普通文件（设备、管道或文件夹都不能作为模型）",
    ),
    "engine.model.weights_damaged": (
        "the model's weights are damaged or not what its architecture declares ({detail})",
        "模型的权重已损坏，或与其声明的结构不符（{detail}）",
    ),
    "engine.model.the_file": ("the model file", "模型文件"),
    "engine.model.keras_failed": ("Keras could not load this model: {reason}", "Keras 无法加载这个模型：{reason}"),
    "engine.model.contains_code": (
        "it contains code (a Lambda or custom function), which CNN Lab never runs",
        "它含有代码（Lambda 层或自定义函数），而 CNN Lab 从不运行这类代码",
    ),
    # ------------------------------------------------------------ datasets (cnnlab/data/datasets.py, augmentation.py)
    "engine.data.unknown": ("unknown dataset {name}", "未知的数据集 {name}"),
    "engine.data.no_package": (
        "the {package} package is not installed: run {command}",
        "未安装 {package} 软件包：请运行 {command}",
    ),
    "engine.data.not_idx": ("{path} is not an IDX file of unsigned bytes", "{path} 不是无符号字节格式的 IDX 文件"),
    "engine.data.truncated": ("{path} is truncated", "{path} 不完整（文件被截断）"),
    "engine.data.offline": (
        "{name} is not in the local cache and there is no network: {fix}",
        "本地缓存中没有 {name}，且当前没有网络：{fix}",
    ),
    "engine.data.fix.mnist": ("place {file} in {cache} (from {url})", "请把 {file} 放到 {cache}（下载地址：{url}）"),
    "engine.data.fix.fashion_mnist": (
        "run `{command}`, or place the four Fashion-MNIST .gz files in {cache}/{folder}",
        "请运行 `{command}`，或把 Fashion-MNIST 的四个 .gz 文件放到 {cache}/{folder}",
    ),
    "engine.data.fix.cifar10": (
        "extract {archive} into {cache} so that {cache}/{folder} exists",
        "请把 {archive} 解压到 {cache}，使 {cache}/{folder} 存在",
    ),
    "engine.data.bad_fractions": (
        "validation and test fractions must each be in [0, 1) and sum to less than 1",
        "验证集和测试集的比例都必须在 [0, 1) 之内，且两者之和小于 1",
    ),
    "engine.data.cannot_save": (
        "the dataset {name} could not be saved: {detail}; free some disk space and add it again",
        "无法保存数据集 {name}：{detail}；请腾出一些磁盘空间后重新添加",
    ),
    "engine.data.bad_name": (
        "{name} is not a valid dataset name (letters, digits, - and _; not a built-in name)",
        "{name} 不是有效的数据集名称（只能使用字母、数字、- 和 _，且不能与内置数据集同名）",
    ),
    "engine.data.augmentation_range": (
        "augmentation {name} must be between 0 and 0.5 (got {value})",
        "数据增强的 {name} 必须在 0 到 0.5 之间（实际为 {value}）",
    ),
    # why a dataset is not available (DatasetInfo.reason, a Phrase)
    "engine.data.reason.no_package": (
        "the {package} package is not installed: {command}",
        "未安装 {package} 软件包：请运行 {command}",
    ),
    "engine.data.reason.download": (
        "not in the local cache; it will be downloaded on first use",
        "本地缓存中没有；首次使用时会自动下载",
    ),
    "engine.data.reason.offline": (
        "not in the local cache and there is no network: {fix}",
        "本地缓存中没有，且当前没有网络：{fix}",
    ),
    "engine.data.reason.data_missing": ("data file missing", "数据文件缺失"),
    # ------------------------------------------------------------ untrusted files (cnnlab/untrusted.py)
    "engine.untrusted.too_slow": (
        "{label} could not be read safely: reading it took longer than {seconds} s",
        "无法安全读取 {label}：读取时间超过了 {seconds} 秒",
    ),
    "engine.untrusted.too_big": (
        "{label} could not be read safely: reading it needed too much memory",
        "无法安全读取 {label}：读取它需要的内存太多",
    ),
}
