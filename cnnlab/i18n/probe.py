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
}
