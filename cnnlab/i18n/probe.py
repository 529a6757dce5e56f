"""Strings of the probing views: Predict's "Why / what if" box (robustness sliders, adversarial examples) and
Inspect's occlusion map, receptive fields, filter pictures, nearest training images and robustness sweep."""

STRINGS = {
    # ------------------------------------------------------------ Predict: why / what if
    "probe.whatif": ("Why / what if", "为什么 / 如果……会怎样"),
    "probe.whatif_help": (
        "Push on this input and watch the model's answer move: shift, turn, thicken or hide parts of it, or let the "
        "model's own gradient find the smallest change that fools it.",
        "推一推这个输入，看模型的回答怎样变化：平移、旋转、加粗或遮住一部分；或者让模型自己的梯度找出能骗过它的最小改动。",
    ),
    "probe.tab_push": ("Push it (robustness)", "推一推（鲁棒性）"),
    "probe.tab_fool": ("Fool it (adversarial)", "骗骗它（对抗样本）"),
    "probe.push_help": (
        "Every slider changes the image the model sees; every class's probability is redrawn at once (grey "
        "outlines: the untouched image).",
        "每个滑块都会改变模型看到的图像，所有类别的概率随即重画（灰色轮廓：未改动的图像）。",
    ),
    "probe.shift_x": ("Shift right", "向右平移"),
    "probe.shift_x_help": (
        "Move the image this many pixels to the right (negative: left); the background fills the gap.",
        "把图像向右移动这么多像素（负数：向左），空出的地方用背景色补上。",
    ),
    "probe.shift_y": ("Shift down", "向下平移"),
    "probe.shift_y_help": (
        "Move the image this many pixels down (negative: up); digits in a corner are a common failure.",
        "把图像向下移动这么多像素（负数：向上）；数字写在角落里是常见的失败原因。",
    ),
    "probe.rotation": ("Rotate", "旋转"),
    "probe.rotation_help": (
        "Turn the image about its centre, counter-clockwise in degrees; MNIST digits are upright, so large turns "
        "were never seen in training.",
        "绕图像中心逆时针旋转（单位：度）；MNIST 的数字都是正的，大角度旋转在训练中从未见过。",
    ),
    "probe.scale": ("Scale", "缩放"),
    "probe.scale_help": (
        "Enlarge (above 1×) or shrink (below 1×) the image about its centre.",
        "以中心为基准放大（大于 1×）或缩小（小于 1×）图像。",
    ),
    "probe.thickness": ("Stroke thickness", "笔画粗细"),
    "probe.thickness_help": (
        "Thicken the strokes by this many 3×3 dilation steps (negative: thin them by erosion).",
        "用这么多次 3×3 膨胀把笔画加粗（负数：用腐蚀把笔画变细）。",
    ),
    "probe.noise": ("Noise", "噪声"),
    "probe.noise_help": (
        "Add random speckles with this standard deviation (pixel values run from 0 to 1); the same every time.",
        "加入这个标准差的随机噪点（像素值范围 0 到 1）；每次都相同。",
    ),
    "probe.patch": ("Hide a patch", "遮住一块"),
    "probe.patch_help": (
        "Cover a square of the image with its own background, as a hand over the paper would.",
        "用图像自己的背景色遮住一个方块，就像用手挡住纸的一部分。",
    ),
    "probe.patch_size": ("Patch size", "遮挡块大小"),
    "probe.patch_size_help": ("The side of the hidden square, in pixels.", "被遮住的方块边长（像素）。"),
    "probe.patch_row": ("Patch row", "遮挡块所在行"),
    "probe.patch_row_help": ("Where the patch's centre sits, counted from the top.", "遮挡块中心的位置，从上往下数。"),
    "probe.patch_col": ("Patch column", "遮挡块所在列"),
    "probe.patch_col_help": ("Where the patch's centre sits, counted from the left.", "遮挡块中心的位置，从左往右数。"),
    "probe.reset": ("Reset", "复位"),
    "probe.reset_help": ("Put every slider back to no change.", "把所有滑块恢复为不改动。"),
    "probe.transformed": ("what the model sees now", "模型现在看到的"),
    "probe.now": ("Now: **{name}** ({p:.0%})", "现在：**{name}**（{p:.0%}）"),
    "probe.before": ("untouched", "未改动"),
    "probe.after": ("now", "现在"),
    "probe.after_attack": ("after the attack", "攻击之后"),
    "probe.changed": (
        "The answer changed from {was} to {now}.",
        "回答从 {was} 变成了 {now}。",
    ),
    "probe.fool_help": (
        "An adversarial example moves every pixel a tiny step ε in the direction that hurts the model most "
        "(FGSM: one step; PGD: ten smaller ones).",
        "对抗样本把每个像素朝最让模型出错的方向挪动一小步 ε（FGSM：一步；PGD：十个更小的步）。",
    ),
    "probe.method": ("Attack", "攻击方法"),
    "probe.method_help": (
        "FGSM follows the gradient's sign once; PGD takes ten smaller steps and stays within ε of the original, "
        "so it usually needs a smaller ε.",
        "FGSM 沿梯度的符号走一步；PGD 走十个小步并始终保持在原图 ε 范围内，所以通常需要更小的 ε。",
    ),
    "probe.method.fgsm": ("FGSM", "FGSM"),
    "probe.method.pgd": ("PGD (10 steps)", "PGD（10 步）"),
    "probe.target": ("Goal", "目标"),
    "probe.target_help": (
        "Any wrong answer, or push towards one class you choose (a targeted attack).",
        "任意错误答案，或者朝你选定的某个类别推（定向攻击）。",
    ),
    "probe.untargeted": ("any other answer", "任意其他答案"),
    "probe.make_it": ("make it a {name}", "让它变成 {name}"),
    "probe.already": (
        "The model already says {name}: choose another goal.",
        "模型已经认为是 {name} 了：请换一个目标。",
    ),
    "probe.find": ("Find the smallest ε that flips it", "找出能翻转答案的最小 ε"),
    "probe.find_help": (
        "Try 64 values of ε up to 0.5 at once, then narrow down between the last that held and the first that "
        "flipped; the slider moves there.",
        "一次尝试 64 个不超过 0.5 的 ε，再在最后一个没翻转和第一个翻转的值之间逐步缩小范围；滑块会移到找到的值。",
    ),
    "probe.finding": ("Searching for the smallest ε…", "正在寻找最小的 ε…"),
    "probe.epsilon": ("ε (largest change per pixel)", "ε（每个像素的最大改动）"),
    "probe.epsilon_help": (
        "Every pixel may move by at most this much (pixel values run from 0 to 1; 0.01 is about 3 of 255 grey "
        "levels).",
        "每个像素最多改动这么多（像素值范围 0 到 1；0.01 约等于 255 级灰度中的 3 级）。",
    ),
    "probe.found": (
        "{method} flips it at ε = {eps:.4f} (about {levels:.1f} of 255 grey levels per pixel): it then says {now}.",
        "{method} 在 ε = {eps:.4f} 时翻转了答案（每个像素约改动 255 级灰度中的 {levels:.1f} 级）：它随后说是 {now}。",
    ),
    "probe.no_flip": (
        "{method} does not change the answer for any ε up to {high}.",
        "在 ε 不超过 {high} 时，{method} 都没能改变答案。",
    ),
    "probe.clean": ("original: {name}", "原图：{name}"),
    "probe.perturbed": ("perturbed: {name}", "扰动后：{name}"),
    "probe.difference": ("difference, amplified (red +, blue −)", "差异（放大；红为加，蓝为减）"),
    "probe.flipped": (
        "With every pixel moved by at most ε = {eps:.3f} (about {levels:.0f} of 255 grey levels) the model now says "
        "**{now}** instead of **{was}**.",
        "每个像素最多只改动 ε = {eps:.3f}（约 255 级灰度中的 {levels:.0f} 级），"
        "模型就从 **{was}** 改口成了 **{now}**。",
    ),
    "probe.held": (
        "At ε = {eps:.3f} the model still says **{was}**; move ε up or search for the smallest one that flips it.",
        "在 ε = {eps:.3f} 时模型仍然说是 **{was}**；把 ε 调大，或者搜索能翻转答案的最小 ε。",
    ),
    "probe.why_adversarial": (
        "What it means: a change you can hardly see, lined up against the model's gradient, adds up over hundreds "
        "of pixels and flips its answer. The model reads patterns in pixel values, not the strokes a person sees, "
        "so being right on test images does not make it robust.",
        "这意味着：一个几乎看不出来的改动，只要顺着模型梯度的反方向排布，在几百个像素上累加起来就能翻转答案。"
        "模型读的是像素数值里的模式，而不是人看到的笔画，所以在测试图像上答对并不代表它稳健。",
    ),
    "probe.which_upload": ("Why / what if for", "对哪张图做“为什么 / 如果”"),
    "probe.which_upload_help": (
        "The uploaded image the box below pushes on.",
        "下方方框要推一推的那张上传图像。",
    ),
    # ------------------------------------------------------------ Inspect: tabs
    "inspect.tab.whatif": ("What if", "如果……会怎样"),
    "inspect.tab.rf": ("Receptive fields", "感受野"),
    "inspect.tab.want": ("What filters want", "卷积核想看什么"),
    "inspect.tab.near": ("Nearest training images", "最近的训练图像"),
    "inspect.tab.robust": ("Robustness sweep", "鲁棒性扫描"),
    # ------------------------------------------------------------ Inspect: occlusion beside Grad-CAM
    "probe.occl_help": (
        "The fifth picture hides a 6×6 patch at every position in turn: red where hiding it costs this class the "
        "most probability.",
        "第五张图依次在每个位置遮住一个 6×6 的方块：越红的地方，遮住后这个类别损失的概率越多。",
    ),
    "probe.occl_caption": ("occlusion (worst patch −{drop:.0%})", "遮挡敏感度（最关键的方块 −{drop:.0%}）"),
    # ------------------------------------------------------------ Inspect: receptive fields
    "probe.rf_help": (
        "Pick one unit of a layer (sliders, or click the map): the red box is every input pixel it can see by its "
        "layers' geometry, the heat map how much each pixel really moves it for this image.",
        "选一层中的一个单元（用滑块，或直接点击左边的图）：红框是按各层几何结构它能看到的全部输入像素，"
        "热力图是对这张图像每个像素实际对它的影响有多大。",
    ),
    "probe.rf_none": ("This model has no layer with a spatial output.", "这个模型没有输出为空间特征图的层。"),
    "probe.rf_layer_help": (
        "Deeper layers see larger parts of the input.",
        "越深的层能看到输入中越大的区域。",
    ),
    "probe.rf_row": ("Unit row", "单元所在行"),
    "probe.rf_row_help": ("The unit's row in the layer's output.", "该单元在这一层输出中的行。"),
    "probe.rf_col": ("Unit column", "单元所在列"),
    "probe.rf_col_help": ("The unit's column in the layer's output.", "该单元在这一层输出中的列。"),
    "probe.rf_channel_help": (
        "The effective field of one channel at this position, or of all channels added up.",
        "这个位置上某一个通道的有效感受野，或所有通道加起来的。",
    ),
    "probe.rf_all": ("all channels", "所有通道"),
    "probe.rf_map": ("{name}: click a unit", "{name}：点击一个单元"),
    "probe.rf_click": (
        "The layer's output for this image (channel mean or the chosen channel); the red square is the unit.",
        "这一层对这张图像的输出（通道平均或所选通道）；红色方块就是所选单元。",
    ),
    "probe.rf_theory": ("theoretical field: {h}×{w} pixels", "理论感受野：{h}×{w} 像素"),
    "probe.rf_effective": ("effective field: |∂unit/∂pixel|", "有效感受野：|∂单元/∂像素|"),
    "probe.rf_sentence": (
        "Unit ({row}, {col}) of **{name}** can see input rows {top}–{bottom} and columns {left}–{right} (a "
        "{fh}×{fw} field before the image's edge cuts it; neighbouring units are {jump:g} pixels apart). "
        "{inside:.0%} of its effective field lies inside that box.",
        "**{name}** 的单元 ({row}, {col}) 能看到输入的第 {top}–{bottom} 行、第 {left}–{right} 列（未被图像边缘截断时"
        "为 {fh}×{fw}；相邻单元相距 {jump:g} 个像素）。它的有效感受野有 {inside:.0%} 落在这个框里。",
    ),
    # ------------------------------------------------------------ Inspect: what a filter wants to see
    "probe.want_help": (
        "Each picture starts as grey noise and is changed, step by step, to make one channel fire as strongly as "
        "it can (jitter and blur keep it smooth); beside it, the nine test images that excite that channel most.",
        "每张图都从灰色噪声开始，一步步修改，让某一个通道尽可能强地激活（抖动和模糊让它保持平滑）；"
        "旁边是最能激活这个通道的九张测试图像。",
    ),
    "probe.want_none": ("This model has no convolution or dense layer.", "这个模型没有卷积层或全连接层。"),
    "probe.want_layer_help": (
        "Early layers want edges and strokes; deeper ones want larger parts of digits.",
        "浅层想看边缘和笔画；深层想看数字中更大的部分。",
    ),
    "probe.want_first": ("Channels, page", "通道（页）"),
    "probe.want_first_help": ("{n} channels are drawn at a time.", "每次绘制 {n} 个通道。"),
    "probe.want_go": (
        "Draw what channels {first}–{last} want to see",
        "画出第 {first}–{last} 个通道想看的图像",
    ),
    "probe.want_wait": (
        "A few seconds for LeNet-5; the result is kept for this model file.",
        "LeNet-5 只需几秒钟；结果会为这个模型文件保留下来。",
    ),
    "probe.want_climbing": ("Climbing the gradient of each channel of {layer}…", "正在沿 {layer} 每个通道的梯度上升…"),
    "probe.want_sentence": (
        "Each picture raises its channel's mean activation in **{layer}** by {gain:.2f} (median) over the noise "
        "it started from.",
        "每张图让 **{layer}** 中对应通道的平均激活比起始噪声高出 {gain:.2f}（中位数）。",
    ),
    "probe.want_item": (
        "channel {channel}: {act:.2f} (noise {noise:.2f})",
        "通道 {channel}：{act:.2f}（噪声 {noise:.2f}）",
    ),
    "probe.want_top": ("top 9 test images", "最强的 9 张测试图"),
    # ------------------------------------------------------------ Inspect: nearest training images
    "probe.near_help": (
        "The training images closest to this input in the layer that feeds the classifier: the examples the model "
        "thinks it is like.",
        "在分类层之前那一层的特征空间里，离这个输入最近的训练图像：模型认为它和这些样本最像。",
    ),
    "probe.near_no_train": ("This dataset has no training images here.", "这个数据集在这里没有训练图像。"),
    "probe.near_k": ("Neighbours", "近邻数量"),
    "probe.near_k_help": ("How many of the nearest training images to show.", "显示多少张最近的训练图像。"),
    "probe.near_building": ("Describing every training image…", "正在为每张训练图像计算特征…"),
    "probe.near_sentence": (
        "It reads this input like these: {same} of the {k} nearest training images (in {layer}) are **{name}**, "
        "the class it predicts.",
        "它把这个输入读得和下面这些差不多：在 {layer} 的空间里，"
        "最近的 {k} 张训练图像中有 {same} 张是它预测的 **{name}**。",
    ),
    "probe.near_true": (
        "{same} of them are **{name}**, its real class.",
        "其中 {same} 张是它真正的类别 **{name}**。",
    ),
    "probe.near_item": ("{name} · d={d:.2f} · #{index}", "{name} · 距离 {d:.2f} · #{index}"),
    # ------------------------------------------------------------ Inspect: robustness sweep
    "probe.sweep_help": (
        "Transform every test image the same way and measure accuracy again, for each rotation angle, shift and "
        "stroke thickness: where the curve falls, the model has not learned to cope.",
        "把每张测试图像都做同样的变换，再测一次准确率；对每个旋转角度、平移量和笔画粗细都这样做："
        "曲线下降的地方，就是模型还没学会应对的情况。",
    ),
    "probe.sweep_go": (
        "Measure accuracy under rotation, shift and thickness ({n:,} test images)",
        "测量旋转、平移和粗细变化下的准确率（{n:,} 张测试图像）",
    ),
    "probe.sweep_wait": (
        "31 passes over the test split; the result is kept for this model file.",
        "要在测试集上跑 31 遍；结果会为这个模型文件保留下来。",
    ),
    "probe.sweep_running": ("Transforming and predicting the test split…", "正在变换测试集并预测…"),
    "probe.sweep_rotation": ("rotation (°)", "旋转（度）"),
    "probe.sweep_shift": ("shift (pixels)", "平移（像素）"),
    "probe.sweep_thickness": ("stroke thickness (steps)", "笔画粗细（步）"),
    "probe.sweep_accuracy": ("test accuracy", "测试准确率"),
    "probe.sweep_sentence": (
        "Over {n:,} test images: {base:.1%} correct upright, {at45:.1%} when every image is turned by 45°.",
        "在 {n:,} 张测试图像上：不旋转时正确率 {base:.1%}，每张都旋转 45° 时为 {at45:.1%}。",
    ),
}
