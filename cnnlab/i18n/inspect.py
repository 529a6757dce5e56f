"""Inspect page strings: feature maps, filters, Grad-CAM, step-through, evaluation, embeddings, model upload."""

STRINGS = {
    "inspect.title": ("Inspect", "透视模型"),
    "inspect.intro": (
        "Look inside a trained network: what each layer sees, what its filters learned, where it looks, how one "
        "number is computed, and which images it gets wrong.",
        "看看训练好的网络内部：每一层看到了什么、卷积核学到了什么、"
        "模型在看哪里、一个数值是怎样算出来的，以及它把哪些图像认错了。",
    ),
    "inspect.no_runs": (
        "No trained model yet. Train one on the Train page (LeNet-5 takes under a minute), or upload a .keras / .h5 "
        "model file below.",
        "还没有训练好的模型。请到“训练”页训练一个（LeNet-5 不到一分钟），或在下方上传 .keras / .h5 模型文件。",
    ),
    "inspect.go_train": ("Go to Train", "前往训练"),
    "inspect.source": ("Model", "模型"),
    "inspect.source.run": ("A training run", "训练运行"),
    "inspect.source.upload": ("Upload a model file", "上传模型文件"),
    "inspect.run": ("Run", "运行"),
    "inspect.run_item": ("{name} · {id} · test accuracy {acc}", "{name} · {id} · 测试准确率 {acc}"),
    "inspect.run_not_ready": (
        "Run {id} has no saved model yet, so the newest run with one is shown.",
        "运行 {id} 还没有保存的模型，因此显示最新一个有模型的运行。",
    ),
    "inspect.loading_model": ("Loading the model…", "正在加载模型…"),
    "inspect.loading_data": ("Loading {name}…", "正在加载 {name}…"),
    "inspect.no_model_yet": (
        "This run has not saved a model yet; come back after its first epoch.",
        "这个运行还没有保存模型，请在第一轮训练结束后再来。",
    ),
    "inspect.data_failed": (
        "The dataset {name} could not be loaded: {reason}",
        "无法加载数据集 {name}：{reason}",
    ),
    "inspect.mismatch": (
        "This model takes {model} images with {classes} classes, but the dataset has {data} images with "
        "{data_classes} classes. Pick a dataset that matches the model.",
        "该模型接收 {model} 的图像、输出 {classes} 个类别，而数据集是 "
        "{data} 的图像、{data_classes} 个类别。请选择与模型匹配的数据集。",
    ),
    "inspect.cannot": ("This can't be shown for this model: {reason}", "此模型无法显示这一项：{reason}"),
    # model upload
    "inspect.upload_help": (
        "A Keras model file (.keras or .h5). It is checked before loading: code-carrying layers (Lambda, custom "
        "classes) and oversized models are refused.",
        "Keras 模型文件（.keras 或 .h5）。加载前会先检查：含有代码的层（Lambda、自定义类）和过大的模型会被拒绝。",
    ),
    "inspect.upload_label": ("Model file", "模型文件"),
    "inspect.upload_checking": ("Checking and loading the model…", "正在检查并加载模型…"),
    "inspect.upload_refused": ("{name} was not loaded: {reason}", "未加载 {name}：{reason}"),
    "inspect.upload_ok": (
        "Loaded **{name}**: {layers} layers, {params} parameters, input {shape}, {classes} classes.",
        "已加载 **{name}**：{layers} 层，{params} 个参数，输入 {shape}，{classes} 个类别。",
    ),
    "inspect.upload_no_dataset": (
        "No available dataset has {shape} images with {classes} classes, so there is nothing to inspect this model "
        "on. Add a matching dataset on the Data page.",
        "没有可用的数据集是 {shape} 的图像且有 {classes} 个类别，"
        "因此无法在数据上查看此模型。请在“数据”页添加匹配的数据集。",
    ),
    "inspect.upload_dataset": ("Inspect it on", "用于查看的数据集"),
    "inspect.upload_ds_help": (
        "Datasets whose image size and number of classes match the model; its test split is used.",
        "图像尺寸和类别数与模型一致的数据集；使用其测试集。",
    ),
    # input picker
    "inspect.input": ("Input image", "输入图像"),
    "inspect.mode.class": ("By class", "按类别"),
    "inspect.mode.index": ("By index", "按编号"),
    "inspect.mode.random": ("Random", "随机"),
    "inspect.mode.mistake": ("Misclassified", "被认错的"),
    "inspect.mode.drawn": ("My drawing", "我画的数字"),
    "inspect.mode.upload": ("Upload", "上传"),
    "inspect.class": ("Class", "类别"),
    "inspect.class_empty": ("The test split has no image of this class.", "测试集中没有这个类别的图像。"),
    "inspect.example": ("Example of this class ({count} in the test split)", "该类别的第几张（测试集中共 {count} 张）"),
    "inspect.index": ("Test image number (0–{n})", "测试图像编号（0–{n}）"),
    "inspect.reroll": ("Another random image", "换一张随机图像"),
    "inspect.mistake": (
        "Misclassified images ({count}), surest mistakes first",
        "被认错的图像（{count} 张），最自信的错误在前",
    ),
    "inspect.mistake_item": (
        "#{index}: {true} taken for {pred} ({p:.0%})",
        "#{index}：{true} 被认成 {pred}（{p:.0%}）",
    ),
    "inspect.no_mistakes": ("The model gets every test image right.", "模型把每张测试图像都认对了。"),
    "inspect.no_test": ("This dataset has no test images.", "这个数据集没有测试图像。"),
    "inspect.test_label": ("Test image #{index} · true class: {name}", "测试图像 #{index} · 真实类别：{name}"),
    "inspect.drawn_label": ("Your drawing from the Predict page", "你在“预测”页画的数字"),
    "inspect.image_label": ("Image file", "图像文件"),
    "inspect.image_help": (
        "PNG, JPEG, GIF, BMP or WEBP, read by the same safe loader "
        "as dataset uploads and resized to the model's input.",
        "PNG、JPEG、GIF、BMP 或 WEBP，使用与数据集上传相同的安全加载器读取，并缩放到模型的输入尺寸。",
    ),
    "inspect.mnistify": ("Prepare like MNIST (crop, scale, centre)", "按 MNIST 方式处理（裁剪、缩放、居中）"),
    "inspect.mnistify_help": (
        "Finds the digit, scales it into a 20×20 box and centres it in 28×28, the way MNIST digits were made. "
        "Works for dark-on-light and light-on-dark images.",
        "找到数字，把它缩放进 20×20 的框并在 28×28 中居中，与 MNIST "
        "数字的制作方式相同。深色字浅色底或浅色字深色底都可以。",
    ),
    "inspect.image_refused": ("This image can't be used: {reason}", "无法使用这张图像：{reason}"),
    "inspect.image_empty": (
        "No digit was found in this image; try one with a clear digit on a plain background.",
        "图像中没有找到数字；请换一张背景单一、数字清晰的图像。",
    ),
    "inspect.upload_label_short": ("Uploaded: {name}", "已上传：{name}"),
    "inspect.verdict": ("Predicted **{pred}** ({p:.0%})", "预测为 **{pred}**（{p:.0%}）"),
    "inspect.verdict_right": (
        ":green[:material/check_circle:] Predicted **{pred}** ({p:.0%}) — correct",
        ":green[:material/check_circle:] 预测为 **{pred}**（{p:.0%}）——正确",
    ),
    "inspect.verdict_wrong": (
        ":red[:material/cancel:] Predicted **{pred}** ({p:.0%}), but it is **{true}**",
        ":red[:material/cancel:] 预测为 **{pred}**（{p:.0%}），实际是 **{true}**",
    ),
    "inspect.pick_first": ("Choose an input image above first.", "请先在上方选择一张输入图像。"),
    # tabs
    "inspect.tab.fm": ("Feature maps", "特征图"),
    "inspect.tab.filters": ("Filters", "卷积核"),
    "inspect.tab.cam": ("Grad-CAM", "Grad-CAM"),
    "inspect.tab.step": ("Step-through", "逐步计算"),
    "inspect.tab.eval": ("Evaluation", "评估"),
    "inspect.tab.emb": ("Embeddings", "嵌入"),
    "inspect.layer": ("Layer", "层"),
    "inspect.channel": ("Channel", "通道"),
    "inspect.value": ("value", "数值"),
    # feature maps
    "inspect.fm_help": (
        "Every feature map of each layer for this input, one small picture per channel (bright = strong response, "
        "each channel scaled on its own). Hover for the raw values.",
        "该输入在每一层的所有特征图，每个通道一张小图（越亮表示响应越强，各通道分别缩放）。鼠标悬停可查看原始数值。",
    ),
    "inspect.fm_none": ("This model has no layer with feature maps (H×W×C).", "此模型没有输出特征图（H×W×C）的层。"),
    "inspect.fm_layers": ("Layers", "显示的层"),
    "inspect.fm_shape": ("{h}×{w}, {c} channels", "{h}×{w}，{c} 个通道"),
    "inspect.fm_first": (" — showing the first {shown} of {total}", "——显示 {total} 个中的前 {shown} 个"),
    "inspect.fm_zoom": ("One channel, larger", "放大查看一个通道"),
    "inspect.fm_zoom_caption": (
        "{name}, channel {channel}: values from {lo:.3f} to {hi:.3f}; {active:.0%} of positions are above zero.",
        "{name}，通道 {channel}：数值范围 {lo:.3f} 到 {hi:.3f}；{active:.0%} 的位置大于零。",
    ),
    # filters
    "inspect.filters_none": (
        "This model has no convolution layers, so it has no filters to show.",
        "此模型没有卷积层，因此没有可显示的卷积核。",
    ),
    "inspect.filters_first": ("First-layer filters ({name})", "第一层卷积核（{name}）"),
    "inspect.filters_first_help": (
        "{n} filters of {kh}×{kw} over {cin} input channel(s). These patterns are what the network looks for "
        "directly in the pixels: edges, strokes, blobs.",
        "{n} 个 {kh}×{kw} 的卷积核，作用于 {cin} 个输入通道。"
        "这些图案就是网络直接在像素中寻找的东西：边缘、笔画、斑块。",
    ),
    "inspect.filters_colours": (
        "Red = positive weight, blue = negative, white = zero (each filter scaled on its own).",
        "红色为正权重，蓝色为负权重，白色为零（每个卷积核分别缩放）。",
    ),
    "inspect.filters_deeper": ("Deeper filters", "更深层的卷积核"),
    "inspect.filters_grid_help": (
        "One column per filter ({n} of {total}), one row per input channel ({c} of {cin}); each cell is a {kh}×{kw} "
        "kernel slice.",
        "每列一个卷积核（共 {total} 个，显示 {n} 个），每行一个输入通道（共 "
        "{cin} 个，显示 {c} 个）；每格是一个 {kh}×{kw} 的卷积核切片。",
    ),
    "inspect.snap_title": ("How the first-layer filters changed during training", "训练过程中第一层卷积核的变化"),
    "inspect.snap_none": (
        "This run kept no per-epoch filter snapshots (fewer than two epochs, or snapshots turned off).",
        "这个运行没有保存每轮的卷积核快照（少于两轮，或关闭了快照）。",
    ),
    "inspect.snap_help": (
        "Layer {layer}, from epoch {first} (0 = before training) to epoch {last}, all on one colour scale so growth "
        "shows.",
        "层 {layer}，从第 {first} 轮（0 表示训练前）到第 {last} 轮，使用同一色标，便于看出权重的增长。",
    ),
    "inspect.snap_epoch": ("epoch {epoch}", "第 {epoch} 轮"),
    "inspect.snap_change": ("change from the start", "相对初始的变化"),
    "inspect.epoch": ("epoch", "轮次"),
    "inspect.hist_title": ("Weight distributions", "权重分布"),
    "inspect.hist_bias": ("Include biases and normalisation weights", "包括偏置和归一化层的权重"),
    "inspect.weight": ("weight", "权重"),
    "inspect.count": ("count", "数量"),
    # Grad-CAM
    "inspect.cam_help": (
        "Grad-CAM colours the regions that raised the class score (red = most); saliency shows which single pixels "
        "would change the score most.",
        "Grad-CAM 为提高该类别得分的区域着色（红色最强）；显著图显示哪些像素对得分影响最大。",
    ),
    "inspect.cam_none": (
        "Grad-CAM needs a layer with feature maps; this model has none.",
        "Grad-CAM 需要输出特征图的层，此模型没有。",
    ),
    "inspect.cam_class": ("Explain the class", "解释的类别"),
    "inspect.cam_predicted": ("predicted class ({name})", "预测类别（{name}）"),
    "inspect.cam_layer": ("Grad-CAM layer", "Grad-CAM 所用的层"),
    "inspect.cam_layer_help": (
        "Later layers give coarser maps that are more about the class; the last convolution is the usual choice.",
        "越靠后的层得到的图越粗糙，但与类别越相关；通常选择最后一个卷积层。",
    ),
    "inspect.cam_row": ("Why **{name}** ({p:.0%})?", "为什么是 **{name}**（{p:.0%}）？"),
    "inspect.cam_input": ("input", "输入"),
    "inspect.cam_overlay": ("Grad-CAM", "Grad-CAM"),
    "inspect.sal_map": ("saliency", "显著图"),
    "inspect.sal_overlay": ("saliency over the input", "显著图叠加在输入上"),
    # step-through
    "inspect.step_none": (
        "This model has no convolution or pooling layer to step through.",
        "此模型没有可以逐步演示的卷积层或池化层。",
    ),
    "inspect.step_kind": ("Step through", "逐步演示"),
    "inspect.step_conv": ("a convolution", "卷积"),
    "inspect.step_pool": ("a pooling layer", "池化"),
    "inspect.filter": ("Filter (of {n})", "卷积核（共 {n} 个）"),
    "inspect.row": ("Output row (of {h})", "输出行（共 {h} 行）"),
    "inspect.col": ("Output column (of {w})", "输出列（共 {w} 列）"),
    "inspect.in_channel": ("Input channel to show (of {c})", "显示的输入通道（共 {c} 个）"),
    "inspect.in_channel_short": ("input channel", "输入通道"),
    "inspect.in_channel_help": (
        "The filter covers every input channel; the sum adds the products of all of them. Pick one to see its part.",
        "卷积核覆盖所有输入通道，求和时把所有通道的乘积加在一起。选择一个通道查看它的那一部分。",
    ),
    "inspect.conv_where": (
        "The {kh}×{kw} kernel covers input rows {r0}–{r1} and columns {c0}–{c1} (stride {stride}, padding "
        "“{padding}”; negative or too-large numbers are zero padding).",
        "{kh}×{kw} 的卷积核覆盖输入的第 {r0}–{r1} 行、第 {c0}–{c1} 列（步幅 "
        "{stride}，填充方式“{padding}”；负数或超出范围的位置是零填充）。",
    ),
    "inspect.conv_input": ("input channel {c} — the red box is the patch", "输入通道 {c}——红框是所取的图块"),
    "inspect.conv_output": ("output map of filter {f} — where the value lands", "卷积核 {f} 的输出图——结果落在这里"),
    "inspect.patch": ("input patch", "输入图块"),
    "inspect.kernel": ("× kernel weights", "× 卷积核权重"),
    "inspect.products": ("= element-wise products", "= 逐元素乘积"),
    "inspect.conv_sum": (
        "Sum of this channel's products: **{part:.4f}** · sum over all {terms} products: **{total:.4f}** · "
        "plus bias {bias:+.4f} = **{pre:.4f}** · after {act}: **{value:.4f}**. The layer really output "
        "**{actual:.4f}** at ({row}, {col}) {mark}",
        "本通道乘积之和：**{part:.4f}** · 全部 {terms} 个乘积之和："
        "**{total:.4f}** · 加上偏置 {bias:+.4f} = **{pre:.4f}** · "
        "经过 {act} 后：**{value:.4f}**。该层在 ({row}, {col}) 处的实际输出为 **{actual:.4f}** {mark}",
    ),
    "inspect.conv_sum_one": (
        "Sum of the {terms} products: **{total:.4f}** · plus bias {bias:+.4f} = **{pre:.4f}** · after {act}: "
        "**{value:.4f}**. The layer really output **{actual:.4f}** at ({row}, {col}) {mark}",
        "{terms} 个乘积之和：**{total:.4f}** · 加上偏置 {bias:+.4f} = **{pre:.4f}** · 经过 {act} 后："
        "**{value:.4f}**。该层在 ({row}, {col}) 处的实际输出为 **{actual:.4f}** {mark}",
    ),
    "inspect.partials": ("Each input channel's share of the sum", "各输入通道对总和的贡献"),
    "inspect.channel_of": ("Channel (of {n})", "通道（共 {n} 个）"),
    "inspect.pool_input": ("input channel {c} — the red box is the window", "输入通道 {c}——红框是池化窗口"),
    "inspect.window": ("window", "窗口"),
    "inspect.pool_output": ("output map — where the value lands", "输出图——结果落在这里"),
    "inspect.pool_max": (
        "Max pooling keeps the largest of the {count} values in the {size} window (outlined): **{value:.4f}**. "
        "The layer really output **{actual:.4f}** at ({row}, {col}) {mark}",
        "最大池化保留 {size} 窗口中 {count} 个数值里最大的一个（已框出）："
        "**{value:.4f}**。该层在 ({row}, {col}) 处的实际输出为 **{actual:.4f}** {mark}",
    ),
    "inspect.pool_avg": (
        "Average pooling takes the mean of the {count} values in the {size} window: **{value:.4f}**. "
        "The layer really output **{actual:.4f}** at ({row}, {col}) {mark}",
        "平均池化取 {size} 窗口中 {count} 个数值的平均值：**{value:.4f}**。"
        "该层在 ({row}, {col}) 处的实际输出为 **{actual:.4f}** {mark}",
    ),
    # evaluation
    "inspect.evaluating": ("Classifying {n} test images…", "正在分类 {n} 张测试图像…"),
    "inspect.accuracy": ("Test accuracy", "测试准确率"),
    "inspect.test_images": ("Test images", "测试图像数"),
    "inspect.mistakes": ("Mistakes", "错误数"),
    "inspect.cm_title": ("Confusion matrix", "混淆矩阵"),
    "inspect.cm_help": (
        "Rows are the true class, columns the prediction; colour is the share of the row. Click a cell to see its "
        "images.",
        "行是真实类别，列是预测类别；颜色表示占该行的比例。点击一个格子即可查看其中的图像。",
    ),
    "inspect.true_class": ("True class", "真实类别"),
    "inspect.pred_class": ("Predicted class", "预测类别"),
    "inspect.images": ("images", "张图像"),
    "inspect.of_class": ("of this class", "占该类别"),
    "inspect.cell_wrong": (
        "**{true}** taken for **{pred}**: {n} images, surest first",
        "**{true}** 被认成 **{pred}**：{n} 张图像，最自信的在前",
    ),
    "inspect.cell_right": ("**{true}** recognised correctly: {n} images", "**{true}** 被正确识别：{n} 张图像"),
    "inspect.gallery_empty": ("No images in this cell.", "这个格子里没有图像。"),
    "inspect.gallery_more": ("Showing {shown} of {total}.", "显示 {total} 张中的 {shown} 张。"),
    "inspect.gallery_item": (
        "{mark} #{index} · {true} → {pred} · {p:.0%}",
        "{mark} #{index} · {true} → {pred} · {p:.0%}",
    ),
    "inspect.use_image": ("Inspect", "查看"),
    "inspect.per_class": ("Per class: precision, recall and F1", "各类别的精确率、召回率与 F1"),
    "inspect.per_class_help": (
        "Recall is the share of a class's test images the model got right (what is sometimes loosely called the "
        "class's accuracy); precision is how often a prediction of that class is right.",
        "召回率是某类别的测试图像中被模型判对的比例（有时被笼统地称为该类别的“准确率”）；精确率是预测为该类别时判对的比例。",
    ),
    "inspect.col.name": ("Class", "类别"),
    "inspect.col.support": ("Test images", "测试图像数"),
    "inspect.col.precision": ("Precision", "精确率"),
    "inspect.col.recall": ("Recall", "召回率"),
    "inspect.col.f1": ("F1 score", "F1 分数"),
    "inspect.col_help.precision": (
        "Of the test images predicted as this class, the share that really are: correct ÷ predicted as this class.",
        "被预测为该类别的测试图像中，真正属于该类别的比例：判对数 ÷ 预测为该类别的数量。",
    ),
    "inspect.col_help.recall": (
        "Of the test images of this class, the share the model classified correctly: correct ÷ images of this class.",
        "该类别的测试图像中，被模型正确分类的比例：判对数 ÷ 该类别的图像数。",
    ),
    "inspect.col_help.f1": (
        "The harmonic mean of precision and recall: high only when both are.",
        "精确率与召回率的调和平均数：二者都高时才高。",
    ),
    "inspect.confident_mistakes": ("The most confident mistakes", "最自信的错误"),
    "inspect.confident_help": (
        "Wrong answers given with the highest probability: often badly written digits, sometimes wrong labels.",
        "以最高概率给出的错误答案：通常是写得很潦草的数字，有时是标注本身错了。",
    ),
    # embeddings
    "inspect.emb_method": ("Projection", "投影方法"),
    "inspect.emb.pca": ("PCA", "PCA"),
    "inspect.emb.tsne": ("t-SNE (slower)", "t-SNE（较慢）"),
    "inspect.emb_points": ("Test images to project", "投影的测试图像数"),
    "inspect.emb_running": ("Projecting {n} images…", "正在投影 {n} 张图像…"),
    "inspect.emb_tsne_running": (
        "Running t-SNE on {n} images (this can take half a minute)…",
        "正在对 {n} 张图像运行 t-SNE（可能需要半分钟）…",
    ),
    "inspect.emb_few": ("An embedding needs at least 3 test images.", "嵌入图至少需要 3 张测试图像。"),
    "inspect.emb_help": (
        "What layer {layer} outputs ({dims} numbers per image) for {n} test images, projected to 2-D with {method}. "
        "Colour = true class, × = misclassified; images the network finds alike sit close together.",
        "层 {layer} 对 {n} 张测试图像的输出（每张 {dims} 个数），用 {method} "
        "投影到二维。颜色表示真实类别，× 表示被认错；网络认为相似的图像会靠得很近。",
    ),
    "inspect.test_image": ("test image", "测试图像"),
    "inspect.emb_pick": (
        "Hover a point to see its prediction; click one, or drag a box or lasso, to see the images here.",
        "鼠标悬停在点上可查看预测；点击一个点，或拖出方框、套索，即可在这里看到对应的图像。",
    ),
    "inspect.emb_selected": ("Selected: {n} images", "已选中：{n} 张图像"),
}
