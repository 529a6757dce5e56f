"""Architecture display names (one per preset, used everywhere), shared setup links and projector mode."""

STRINGS = {
    "arch.name.mlp": ("MLP", "多层感知机"),
    "arch.name.simple_cnn": ("Simple CNN", "简单卷积网络"),
    "arch.name.lenet5": ("LeNet-5", "LeNet-5"),
    "arch.name.alexnet": ("AlexNet", "AlexNet"),
    "arch.name.vgg_small": ("Small VGG", "小型 VGG"),
    "arch.name.resnet_small": ("Small ResNet", "小型 ResNet"),
    "arch.name.transfer": ("Transfer learning", "迁移学习"),
    "arch.edited": ("{name} (edited)", "{name}（已修改）"),
    "arch.default_run_name": ("{arch} on {dataset}", "{arch} · {dataset}"),
    "sidebar.projector": ("Projector mode", "投影模式"),
    "sidebar.projector_help": (
        "Larger text, charts and drawing canvas for a room: the back row can read it. Links keep it (?projector=1).",
        "放大文字、图表和画板，方便教室后排观看。链接会保留此设置（?projector=1）。",
    ),
    "share.title": ("Share this setup", "分享这套设置"),
    "share.help": (
        "This link opens the Train page with this architecture, dataset and every setting filled in, in any "
        "browser that can reach this app. Copy it with the button at its top right.",
        "此链接会打开训练页面，并预先填好这个网络结构、数据集和全部设置（任何能访问本应用的浏览器都可以）。"
        "点击右上角的按钮即可复制。",
    ),
    "share.loaded": (
        "Opened from a shared link: the settings below are the link's.",
        "已从分享链接打开：下面的设置来自该链接。",
    ),
}
