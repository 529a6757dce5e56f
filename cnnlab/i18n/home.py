"""Home page strings."""

STRINGS = {
    "home.title": ("CNN Lab", "CNN 实验室"),
    "home.tagline": (
        "Build a convolutional network, train it while you watch, look inside it, and test it on your own drawings.",
        "搭建一个卷积神经网络，边训练边观察，看清它的内部，再用你亲手画的数字来测试它。",
    ),
    "home.steps_title": ("Your first model in four steps", "四步训练你的第一个模型"),
    "home.step1": (
        "**Data** — look at the handwritten digits you will train on.",
        "**数据** — 先看看将要用来训练的手写数字。",
    ),
    "home.step2": (
        "**Build** — pick LeNet-5 (the default) or stack your own layers.",
        "**搭建** — 选用 LeNet-5（默认），或自己堆叠网络层。",
    ),
    "home.step3": (
        "**Train** — press Train and watch loss and accuracy move live.",
        "**训练** — 点击“开始训练”，实时观察损失和准确率的变化。",
    ),
    "home.step4": (
        "**Inspect & Predict** — see what each layer saw, then draw a digit.",
        "**透视与预测** — 看每一层“看到”了什么，再亲手写一个数字试试。",
    ),
    "home.start": ("Start with the data", "从数据开始"),
    "home.datasets": ("Datasets on this machine", "本机可用的数据集"),
    "home.col_name": ("Dataset", "数据集"),
    "home.col_available": ("Available", "可用"),
    "home.available": (":green-badge[:material/check_circle: Available]", ":green-badge[:material/check_circle: 可用]"),
    "home.not_available": (":gray-badge[:material/block: Not available]", ":gray-badge[:material/block: 不可用]"),
    "home.col_shape": ("Image shape", "图像尺寸"),
    "home.col_classes": ("Classes", "类别数"),
    "home.col_counts": ("Train / val / test", "训练 / 验证 / 测试"),
    "home.col_source": ("Source", "来源"),
    "home.how_to_enable": ("how to enable", "启用方法"),
    "home.data_home": ("Runs and data are stored in `{path}`.", "运行记录和数据保存在 `{path}`。"),
}
