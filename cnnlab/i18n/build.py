"""Build page strings, plus the spec checks' sentences ("build.issue.<code>", the only copy: cnnlab.arch.analysis
raises and shows them by key, so the English here is exactly what `str(error)` and the CLI print)."""

STRINGS = {
    "build.title": ("Build a network", "搭建网络"),
    "build.dataset": (
        "Dataset **{name}**: images {shape}, {classes} classes. Every architecture adapts to this shape, and the "
        "classifier (Dense {classes}, softmax) is added at the end automatically.",
        "数据集 **{name}**：图像 {shape}，共 {classes} 类。所有网络结构都会按这个尺寸自动调整，"
        "末尾的分类层（Dense {classes}，softmax）会自动加上。",
    ),
    "build.preset": ("Start from", "起点"),
    "build.auto": ("auto", "自动"),
    "build.no_runs": ("no saved models yet — train one first", "还没有保存的模型——请先训练一个"),
    "build.pick_of": ("pick one of your {n} saved models", "从你保存的 {n} 个模型中选一个"),
    "build.pick_run": (
        "Pick a saved model above: its layers up to the classifier become the base, and the analysis, the diagram "
        "and the code follow.",
        "请在上方选择一个已保存的模型：它在分类层之前的各层会成为基础网络，分析、结构图和代码随之更新。",
    ),
    "build.run_option": ("{name} · {dataset} · test {acc} · {date}", "{name} · {dataset} · 测试准确率 {acc} · {date}"),
    "build.run_option_named": ("{name} · test {acc} · {date}", "{name} · 测试准确率 {acc} · {date}"),
    "build.use_random": ("Use random weights", "改用随机权重"),
    "build.copy_weights": ("How to add the weights file", "如何添加权重文件"),
    "build.copy_weights_how": (
        "On a computer with internet access, start CNN Lab once with this base (Keras downloads the file), or "
        "download **{file}** from the Keras applications weights page. Then copy it into the **models** folder of "
        "the Keras cache (`.keras/models` in the home folder of the account that runs CNN Lab) on this computer "
        "and reload the page.",
        "在能上网的电脑上用这个基础网络启动一次 CNN Lab（Keras 会下载该文件），或从 Keras applications 的权重页面"
        "下载 **{file}**。然后把它复制到这台电脑上 Keras 缓存的 **models** 文件夹（运行 CNN Lab 的账户主目录下的 "
        "`.keras/models`），再刷新页面。",
    ),
    "build.weights_ok": (
        "ImageNet weights are available (cached or downloadable).",
        "ImageNet 预训练权重可用（已缓存或可以下载）。",
    ),
    "build.weights_missing": (
        "ImageNet weights are unavailable here: they are not in the Keras cache and there is no network, so a run "
        "with them would be refused. Use random weights to train the same network from scratch, or add the weights "
        "file.",
        "此处无法使用 ImageNet 预训练权重：Keras 缓存中没有该文件，且当前没有网络，因此使用它们的训练会被拒绝。"
        "可以改用随机权重，从零开始训练同一个网络；或者添加权重文件。",
    ),
    "build.upload": ("Load a spec file (JSON)", "载入结构文件（JSON）"),
    "build.upload_bad": ("That file is not a usable spec: {reason}", "这个文件不是可用的结构文件：{reason}"),
    "build.layers": ("Layers", "网络层"),
    "build.layers_help": (
        "Edit any cell; add a layer with the + row at the bottom, delete by selecting rows and pressing Delete, "
        "and reorder with the arrows below. Empty cells use the default. The classifier is not listed: it is "
        "always added last.",
        "可以直接修改任意单元格；在表格底部的 + 行添加新层，选中行后按 Delete 删除，用下方的箭头调整顺序。"
        "空单元格表示使用默认值。分类层不在表中，它总会自动加在最后。",
    ),
    "build.col.type": ("Layer type", "层类型"),
    "build.col.size": ("Filters / units", "卷积核数 / 神经元数"),
    "build.col.kernel": ("Kernel / pool", "卷积核 / 池化窗口"),
    "build.col.stride": ("Stride", "步幅"),
    "build.col.padding": ("Padding", "填充"),
    "build.col.activation": ("Activation", "激活函数"),
    "build.col.rate": ("Dropout rate", "丢弃率"),
    "build.help.size": (
        "Conv2D / ResidualBlock: number of filters. Dense: number of units.",
        "Conv2D / ResidualBlock：卷积核个数。Dense：神经元个数。",
    ),
    "build.help.kernel": ("Window size, e.g. 3 or 5x3", "窗口大小，例如 3 或 5x3"),
    "build.help.stride": ("Step between windows, e.g. 1 or 2", "窗口每次移动的步长，例如 1 或 2"),
    "build.move_which": ("Layer number", "层序号"),
    "build.move_up": ("↑ Move up", "↑ 上移"),
    "build.move_down": ("↓ Move down", "↓ 下移"),
    "build.analysis": ("What this network computes", "这个网络在计算什么"),
    "build.params": ("Parameters", "参数量"),
    "build.trainable": ("Trainable", "可训练参数"),
    "build.macs": ("MACs per image", "每张图的乘加次数"),
    "build.memory": ("Activations per image", "每张图的激活内存"),
    "build.col.name": ("Name", "名称"),
    "build.col.layer": ("Layer", "层"),
    "build.col.output": ("Output shape", "输出形状"),
    "build.col.rf": ("Receptive field", "感受野"),
    "build.col.memory": ("Memory (KB)", "内存（KB）"),
    "build.col.issue": ("Problem", "问题"),
    "build.export": ("Export", "导出"),
    "build.export_help": (
        "Runnable Keras scripts with data loading, training, evaluation and saving. The first lines of each say "
        "how to run it, and how to check it quickly on a tiny slice of data.",
        "可直接运行的 Keras 脚本，包含数据载入、训练、评估和保存。每个脚本开头都写明了如何运行，"
        "以及如何用一小部分数据快速检查能否运行。",
    ),
    "build.export_blocked": (
        "Fix the problems above to export code.",
        "请先修正上面的问题，才能导出代码。",
    ),
    "build.download_spec": ("Spec (JSON)", "结构文件（JSON）"),
    "build.download_sequential": ("Script: Sequential", "脚本：Sequential"),
    "build.download_functional": ("Script: Functional", "脚本：Functional"),
    "build.download_subclass": ("Script: subclassing", "脚本：模型子类化"),
    "build.code_style": ("Show code in the style", "代码风格"),
    "build.style.sequential": ("Sequential", "Sequential 顺序式"),
    "build.style.functional": ("Functional API", "函数式 API"),
    "build.style.subclass": ("Model subclassing", "模型子类化"),
    "build.carry": (
        "The Train page will use **{name}**.",
        "训练页将使用 **{name}**。",
    ),
    # preset names and option values
    "build.val.modern": ("modern (relu, max-pool)", "现代版（relu，最大池化）"),
    "build.val.classic": ("classic (tanh, avg-pool)", "经典版（tanh，平均池化）"),
    "build.val.auto": ("auto", "自动"),
    "build.val.original": ("original (227×227)", "原版（227×227）"),
    "build.val.scaled": ("scaled down", "缩小版"),
    "build.val.mobilenet_v2": ("MobileNetV2", "MobileNetV2"),
    "build.val.resnet50": ("ResNet50", "ResNet50"),
    "build.val.run": ("a model I trained here", "我在这里训练过的模型"),
    "build.val.feature_extraction": ("feature extraction (base frozen)", "特征提取（冻结基础网络）"),
    "build.val.fine_tuning": ("fine-tuning (top layers unfrozen)", "微调（解冻顶部若干层）"),
    "build.val.imagenet": ("ImageNet", "ImageNet 预训练"),
    "build.val.none": ("random", "随机初始化"),
    "build.opt.units": ("Hidden units", "隐藏层神经元数"),
    "build.opt.flavour": ("Flavour", "版本"),
    "build.opt.variant": ("Layout", "结构"),
    "build.opt.width": ("Width multiplier", "宽度系数"),
    "build.opt.batchnorm": ("BatchNorm", "批归一化"),
    "build.opt.blocks": ("Blocks", "模块数"),
    "build.opt.base": ("Base network", "基础网络"),
    "build.opt.mode": ("Mode", "方式"),
    "build.opt.fine_tune_layers": ("Unfrozen top layers", "解冻的顶部层数"),
    "build.opt.weights": ("Weights", "权重"),
    "build.opt.input_size": ("Resize images to", "图像缩放到"),
    "build.opt.model_path": ("Saved model", "已保存的模型"),
    "build.desc.mlp": (
        "Flatten → Dense 64 → classes: the classic first TensorFlow example, with no convolutions at all.",
        "Flatten → Dense 64 → 分类层：TensorFlow 入门的经典例子，完全没有卷积。",
    ),
    "build.desc.simple_cnn": (
        "Two conv + max-pool stages and a Dense 128 layer: the Keras MNIST convnet example.",
        "两组“卷积 + 最大池化”加一个 Dense 128 层：Keras 官方的 MNIST 卷积网络示例。",
    ),
    "build.desc.lenet5": (
        "LeNet-5 (LeCun et al., 1998): two 5×5 conv/pool stages, then Dense 120 and 84. On 28×28×1 images it "
        "has 44,426 parameters. The classic flavour uses the original tanh and average pooling.",
        "LeNet-5（LeCun 等，1998）：两组 5×5 卷积与池化，再接 Dense 120 和 84。在 28×28×1 图像上共有 "
        "44,426 个参数。经典版使用原论文的 tanh 和平均池化。",
    ),
    "build.desc.alexnet": (
        "AlexNet (Krizhevsky, Sutskever & Hinton, 2012): five conv layers (96/256/384/384/256), overlapping 3×3 "
        "max-pooling with stride 2, Dense 4096-4096 with Dropout 0.5. The original layout expects 227×227 images; "
        "the scaled-down one (5×5 stride-1 first conv, width ×0.25) trains on 28×28 and 32×32.",
        "AlexNet（Krizhevsky、Sutskever 与 Hinton，2012）：五个卷积层（96/256/384/384/256），步幅为 2 的 3×3 "
        "重叠最大池化，以及带 Dropout 0.5 的 Dense 4096-4096。原版结构针对 227×227 图像；缩小版（第一层为 5×5、"
        "步幅 1 的卷积，宽度 ×0.25）可在 28×28 和 32×32 图像上训练。",
    ),
    "build.desc.vgg_small": (
        "A small VGG (Simonyan & Zisserman, 2014): blocks of two 3×3 convs and a 2×2 max-pool, filters doubling "
        "32→64→128, with optional BatchNorm.",
        "小型 VGG（Simonyan 与 Zisserman，2014）：每个模块是两个 3×3 卷积加一个 2×2 最大池化，卷积核数按 "
        "32→64→128 翻倍，可选批归一化。",
    ),
    "build.desc.resnet_small": (
        "A small ResNet (He et al., 2015): a conv stem and three residual blocks whose shortcuts add the input "
        "back in (Functional API), then global average pooling.",
        "小型 ResNet（He 等，2015）：一个卷积起始层和三个残差块，捷径连接把输入直接加回输出（函数式 API），"
        "最后做全局平均池化。",
    ),
    "build.desc.transfer": (
        "Transfer learning: reuse a pretrained network (MobileNetV2 or ResNet50 on ImageNet, or a model you trained "
        "here) and train a new classifier on top. Feature extraction freezes the base; fine-tuning also trains its "
        "top layers. Small or greyscale images are resized to at least 32×32 and copied to 3 channels inside the "
        "model.",
        "迁移学习：复用一个预训练网络（在 ImageNet 上训练的 MobileNetV2 或 ResNet50，或你在这里训练过的模型），"
        "在它之上训练新的分类层。特征提取会冻结基础网络；微调还会训练它顶部的若干层。较小或灰度的图像会在模型内部"
        "缩放到至少 32×32，并复制成 3 个通道。",
    ),
    # chart labels
    "build.chart.input": ("input", "输入"),
    "build.chart.conv": ("convolution", "卷积"),
    "build.chart.pool": ("pooling", "池化"),
    "build.chart.norm": ("norm / dropout / activation", "归一化 / 丢弃 / 激活"),
    "build.chart.residual": ("residual block", "残差块"),
    "build.chart.transfer": ("pretrained base", "预训练基础网络"),
    "build.chart.flat": ("flatten / dense", "展平 / 全连接"),
    "build.chart.head": ("classifier", "分类层"),
    "build.chart.params": ("parameters", "参数量"),
    "build.chart.macs": ("MACs", "乘加次数"),
    "build.chart.rf": ("receptive field", "感受野"),
    "build.chart.shape": ("output", "输出"),
    "build.chart.title": (
        "Feature maps through the network (height = map size, width = channels)",
        "特征图在网络中的变化（高度 = 特征图尺寸，宽度 = 通道数）",
    ),
    # the spec checks (cnnlab.arch.analysis): an issue of one layer is "build.issue.layer" around its own sentence
    "build.issue.layer": ("layer {index} ({label}): {issue}", "第 {index} 层（{label}）：{issue}"),
    "build.issue.hint": (" (did you mean '{suggestion}'?)", "（是不是想写“{suggestion}”？）"),
    "build.issue.bad_input_shape": (
        "the input shape must be three whole numbers H x W x C (1..4096, 1..16 channels), got {value}",
        "输入形状必须是三个整数 H × W × C（高和宽 1..4096，通道 1..16），实际为 {value}",
    ),
    "build.issue.bad_classes": (
        "the number of classes must be a whole number from 2 to 100000, got {value}",
        "类别数必须是 2 到 100000 之间的整数，实际为 {value}",
    ),
    "build.issue.unknown_type": (
        "unknown layer type '{value}'{hint} — choose one of {choices}",
        "未知的层类型“{value}”{hint}——请从以下类型中选择：{choices}",
    ),
    "build.issue.unknown_setting": (
        "unknown setting '{setting}'{hint} — {type} accepts {choices}",
        "未知的设置项“{setting}”{hint}——{type} 可用的设置有：{choices}",
    ),
    "build.issue.not_int": (
        "{setting} must be a whole number from {low} to {high}, got {value!r}",
        "{setting} 必须是 {low} 到 {high} 之间的整数，实际为 {value!r}",
    ),
    "build.issue.not_size": (
        "{setting} must be a whole number from {low} to {high} or HxW like 5x3, got {value!r}",
        "{setting} 必须是 {low} 到 {high} 之间的整数，或 5x3 这样的 高×宽，实际为 {value!r}",
    ),
    "build.issue.not_float": (
        "{setting} must be a number from {low} to {high}, got {value!r}",
        "{setting} 必须是 {low} 到 {high} 之间的数，实际为 {value!r}",
    ),
    "build.issue.not_choice": (
        "{setting} must be one of {choices}, got {value!r}",
        "{setting} 必须是以下之一：{choices}，实际为 {value!r}",
    ),
    "build.issue.not_bool": (
        "{setting} must be true or false, got {value!r}",
        "{setting} 必须是 true 或 false，实际为 {value!r}",
    ),
    "build.issue.empty_output": (
        "the input is {h}x{w}, so the output would be empty — use padding='same' or a smaller {what}",
        "输入只有 {h}×{w}，输出将为空——请改用 padding='same'，或换更小的{what}",
    ),
    "build.issue.needs_feature_map": (
        "needs a feature map (H x W x C) but gets a flat vector of {n} values — put conv and pooling layers before "
        "Flatten",
        "需要特征图（H × W × C），但收到的是长度为 {n} 的一维向量——卷积层和池化层应放在 Flatten 之前",
    ),
    "build.issue.needs_flat": (
        "gets a {shape} feature map — add Flatten or GlobalAveragePooling2D before it",
        "收到的是 {shape} 的特征图——请在它前面加 Flatten 或 GlobalAveragePooling2D",
    ),
    "build.issue.not_flat_at_end": (
        "the last layer outputs a {shape} feature map, but the classifier needs a flat vector — add Flatten or "
        "GlobalAveragePooling2D at the end",
        "最后一层输出的是 {shape} 的特征图，而分类层需要一维向量——请在末尾加 Flatten 或 GlobalAveragePooling2D",
    ),
    "build.issue.empty_body": (
        "the network has no layers — add Flatten (or conv layers, then Flatten) before the classifier",
        "网络里还没有任何层——请在分类层之前加 Flatten（或先加卷积层，再加 Flatten）",
    ),
    "build.issue.transfer_first": (
        "TransferBase must be the first layer, because it expects the raw image",
        "TransferBase 必须是第一层，因为它需要直接接收原始图像",
    ),
    "build.issue.transfer_channels": (
        "the image has {c} channels; a pretrained base needs 1 or 3 — use a greyscale or RGB dataset",
        "图像有 {c} 个通道，而预训练网络只接受 1 或 3 个通道——请使用灰度或 RGB 数据集",
    ),
    "build.issue.model_path_missing": (
        "the model file '{path}' does not exist — train a model first or choose another base",
        "模型文件“{path}”不存在——请先训练一个模型，或选择其他基础网络",
    ),
    "build.issue.model_file_bad": (
        "cannot read the model file '{path}': {reason}",
        "无法读取模型文件“{path}”：{reason}",
    ),
    "build.issue.too_many_params": (
        "the network has {value:,} parameters, over the {limit:,} limit — use fewer filters or units, or pool "
        "earlier so the Dense layers get smaller inputs",
        "网络共有 {value:,} 个参数，超过了 {limit:,} 的上限——请减少卷积核或神经元数量，或更早地做池化，"
        "让全连接层的输入更小",
    ),
    "build.issue.too_much_memory": (
        "one image needs {value_mb:,.0f} MB of activations, over the {limit_mb:,.0f} MB limit — downsample earlier "
        "(stride or pooling) or use fewer filters",
        "每张图像需要 {value_mb:,.0f} MB 的激活内存，超过了 {limit_mb:,.0f} MB 的上限——请更早地降采样"
        "（加大步幅或池化），或减少卷积核数量",
    ),
    "build.issue.softmax_in_body": (
        "softmax inside the body squashes features into probabilities — relu is usually meant; the classifier "
        "already ends in softmax",
        "在网络中间使用 softmax 会把特征压成概率——这里通常应该用 relu；分类层本身已经以 softmax 结尾",
    ),
}
