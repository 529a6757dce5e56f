"""Strings shared by the app shell and several pages."""

STRINGS = {
    "app.title": ("CNN Lab", "CNN 实验室"),
    "nav.home": ("Home", "首页"),
    "nav.data": ("Data", "数据"),
    "nav.build": ("Build", "搭建"),
    "nav.train": ("Train", "训练"),
    "nav.runs": ("Runs", "运行记录"),
    "nav.inspect": ("Inspect", "透视"),
    "nav.predict": ("Predict", "预测"),
    "sidebar.language": ("Language", "语言"),
    "sidebar.dataset": ("Dataset", "数据集"),
    "sidebar.architecture": ("Architecture", "网络结构"),
    "sidebar.run": ("Run", "运行"),
    "sidebar.none": ("none yet", "暂无"),
    "error.generic": (
        "Something went wrong on this page: {reason}. Your stored runs are safe.",
        "此页面出了点问题：{reason}。已保存的运行记录不受影响。",
    ),
}
