"""The Learn page: lessons, steps, questions and the convolution sandbox. Each key -> (English, 简体中文).
The lessons' own text lives in cnnlab/learn/lessons/*.md (one file per lesson and language)."""

STRINGS = {
    "nav.learn": ("Learn", "学习"),
    "learn.title": ("Learn", "学习"),
    "learn.tagline": (
        "Guided lessons that use the live app: each step has a Do it button that sets things up, and it is ticked "
        "when you have really done it. Questions are answered from your own model.",
        "边做边学的课程：每一步都有一个按钮帮你把应用设置好，真正完成后自动打勾。问题的答案由你自己的模型算出。",
    ),
    "learn.none": ("No lessons were found.", "没有找到课程。"),
    "learn.lesson": ("Lesson", "课程"),
    "learn.lesson_label": ("{n}. {title}", "{n}. {title}"),
    "learn.name": ("Your name", "你的名字"),
    "learn.name_help": (
        "Your progress is kept under this name in the data home, so it survives a restart; leave it empty to use “me”.",
        "你的进度以这个名字保存在数据目录中，重启后仍在；留空则使用“me”。",
    ),
    "learn.progress": ("{done} of {total} steps done", "已完成 {done} / {total} 步"),
    "learn.step": ("Step {n}", "第 {n} 步"),
    "learn.done": ("done", "已完成"),
    "learn.todo": ("to do", "待完成"),
    "learn.do_it": ("Do it", "动手做"),
    "learn.mark_done": ("Mark as done", "标记为完成"),
    "learn.questions": ("Questions", "问题"),
    "learn.your_answer": ("Your answer", "你的答案"),
    "learn.check_answer": ("Check", "核对"),
    "learn.right": ("Right: {answer}.", "答对了：{answer}。"),
    "learn.not_quite": (
        "Not quite: you said {given}, the answer is {answer}.",
        "不完全对：你的答案是 {given}，正确答案是 {answer}。",
    ),
    "learn.script_caption": (
        "The matching lines of {which}: the exported training script, {style} style (the Runs page downloads it).",
        "{which}中对应的几行：导出的训练脚本，{style}风格（可在“运行记录”页面下载）。",
    ),
    "learn.script_run": ("the script of your run “{run}”", "你的训练“{run}”的脚本"),
    "learn.script_default": (
        "the default recipe's script, as you have no finished run yet",
        "默认配方的脚本（你还没有完成的训练）",
    ),
    "learn.measured": ("What your runs measured on this machine", "你的训练在这台机器上测得的结果"),
    "learn.m.label": ("Setting", "设置"),
    "learn.m.run": ("Your run", "你的训练"),
    "learn.m.test": ("Test accuracy", "测试准确率"),
    "learn.m.val": ("Best validation accuracy", "最佳验证准确率"),
    "learn.m.epochs": ("Epochs", "轮数"),
    "learn.m.seconds": ("Training seconds", "训练秒数"),
    "learn.m.not_yet": ("not run yet", "尚未训练"),
    "learn.m.caption": (
        "Each row is your newest finished run with that setting; the curves are their validation accuracy per epoch. "
        "Short runs on a small sample are noisy: run one again with another seed (Train → Advanced) to see how much.",
        "每一行是你在该设置下最新完成的一次训练；曲线是它们每轮的验证准确率。小样本上的短训练波动较大："
        "换一个随机种子（“训练”→“高级”）再训练一次，就能看出波动有多大。",
    ),
    "learn.start_over": ("Start this lesson over", "重新开始本课"),
    "learn.start_over_help": (
        "Clears this lesson's ticks and answers, and the remembered sandbox settings and page visits (your runs stay).",
        "清除本课的勾选和答案，以及记下的沙盒设置和页面访问（你的训练会保留）。",
    ),
    # ------------------------------------------------------------ the convolution sandbox
    "learn.sb.title": ("Convolution sandbox", "卷积沙盒"),
    "learn.sb.input": ("Input", "输入"),
    "learn.sb.input.digit": ("A digit from the dataset", "数据集中的一个数字"),
    "learn.sb.input.pattern": ("A pattern you edit", "你自己编辑的图案"),
    "learn.sb.kernel": ("Kernel", "卷积核"),
    "learn.sb.padding": ("Padding", "填充"),
    "learn.sb.padding_help": (
        "valid: the kernel stays inside the image (the output shrinks); same: zeros around the image keep the size "
        "at stride 1.",
        "valid：卷积核只在图像内部滑动（输出变小）；same：在图像四周补 0，步长为 1 时输出大小不变。",
    ),
    "learn.sb.stride": ("Stride", "步长"),
    "learn.sb.stride_help": ("How many pixels the kernel moves between positions.", "卷积核每次移动的像素数。"),
    "learn.sb.pool": ("Pooling after it", "其后的池化"),
    "learn.sb.pool_help": (
        "A 2×2 pooling window with stride 2 on the output map.",
        "在输出图上做 2×2、步长 2 的池化。",
    ),
    "learn.sb.pool.none": ("none", "无"),
    "learn.sb.pool.max": ("max pooling", "最大池化"),
    "learn.sb.pool.average": ("average pooling", "平均池化"),
    "learn.sb.digit": ("Digit number", "数字编号"),
    "learn.sb.digit_help": (
        "One of the first 100 test images of the MNIST sample.",
        "MNIST 样本前 100 张测试图像之一。",
    ),
    "learn.sb.no_digits": (
        "The MNIST sample is not on this machine: edit a pattern instead.",
        "本机没有 MNIST 样本：请改为编辑图案。",
    ),
    "learn.sb.pattern_help": (
        "Type numbers into the cells (1 = bright, 0 = dark).",
        "在格子里输入数字（1 = 亮，0 = 暗）。",
    ),
    "learn.sb.custom": ("Kernel numbers", "卷积核数值"),
    "learn.sb.custom_help": (
        "One row per line, numbers separated by spaces; a square of up to 7×7.",
        "每行一排，数字之间用空格分隔；最大 7×7 的方阵。",
    ),
    "learn.sb.bad_kernel": (
        "The kernel numbers must form a square (as many numbers per line as there are lines).",
        "卷积核数值必须组成方阵（每行的数字个数等于行数）。",
    ),
    "learn.sb.input_map": ("Input {shape} (red: under the kernel)", "输入 {shape}（红框：卷积核覆盖处）"),
    "learn.sb.kernel_map": ("Kernel {k}×{k}", "卷积核 {k}×{k}"),
    "learn.sb.output_map": ("Output map {shape} (box: the chosen cell)", "输出图 {shape}（方框：选中的单元）"),
    "learn.sb.pooled_map": ("After pooling {shape}", "池化后 {shape}"),
    "learn.sb.cell_title": ("The arithmetic of one output cell", "一个输出单元的计算过程"),
    "learn.sb.row": ("Output row", "输出行"),
    "learn.sb.col": ("Output column", "输出列"),
    "learn.sb.patch": ("Input patch", "输入小块"),
    "learn.sb.products": ("Patch × kernel", "小块 × 卷积核"),
    "learn.sb.cell_sum": (
        "Output cell ({row}, {col}) = the sum of the products = **{total}**",
        "输出单元 ({row}, {col}) = 各乘积之和 = **{total}**",
    ),
    "learn.sb.params_title": ("Parameters: convolution against a dense layer", "参数量：卷积层与全连接层对比"),
    "learn.sb.conv_params": ("Conv2D, one filter", "Conv2D，一个卷积核"),
    "learn.sb.conv_params_help": (
        "{k}×{k} weights shared by every position, plus one bias.",
        "{k}×{k} 个在所有位置共享的权重，再加一个偏置。",
    ),
    "learn.sb.dense_params": ("Dense to the same {n} outputs", "输出同样 {n} 个值的全连接层"),
    "learn.sb.dense_params_help": (
        "One weight for every (input pixel, output value) pair, plus one bias per output; counted by the Build "
        "page's analysis.",
        "每一对（输入像素，输出值）一个权重，再加每个输出一个偏置；由“搭建”页面的分析计算。",
    ),
    "learn.sb.ratio": ("Dense needs", "全连接层所需倍数"),
    "learn.kernel.vertical_edges": ("Vertical edges (Sobel)", "竖直边缘（Sobel）"),
    "learn.kernel.horizontal_edges": ("Horizontal edges (Sobel)", "水平边缘（Sobel）"),
    "learn.kernel.outline": ("Outline (Laplacian)", "轮廓（拉普拉斯）"),
    "learn.kernel.blur": ("Blur 3×3", "模糊 3×3"),
    "learn.kernel.blur5": ("Blur 5×5", "模糊 5×5"),
    "learn.kernel.gaussian": ("Gaussian blur", "高斯模糊"),
    "learn.kernel.sharpen": ("Sharpen", "锐化"),
    "learn.kernel.identity": ("Identity", "恒等"),
    "learn.kernel.custom": ("Numbers I type", "自己输入数值"),
}
