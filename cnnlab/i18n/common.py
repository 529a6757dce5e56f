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
    "demo.badge": ("Demo mode: visitors can explore, draw and inspect", "演示模式：访客可以浏览、绘画和查看"),
    "demo.unlocked": ("Presenter controls unlocked", "已解锁主讲人权限"),
    "demo.password": ("Presenter password", "主讲人密码"),
    "demo.unlock": ("Unlock", "解锁"),
    "demo.wrong": ("Wrong password.", "密码错误。"),
    "demo.no_password": (
        "No presenter password is set (CNNLAB_DEMO_PASSWORD), so nothing can be unlocked.",
        "未设置主讲人密码（CNNLAB_DEMO_PASSWORD），因此无法解锁。",
    ),
    "demo.locked": (
        "Demo mode: only the presenter can do this. Unlock with the password in the sidebar.",
        "演示模式：只有主讲人可以执行此操作。请在侧边栏输入密码解锁。",
    ),
    "demo.limit": ("{reason}", "{reason}"),
    "error.generic": (
        "Something went wrong on this page: {reason}. Your stored runs are safe.",
        "此页面出了点问题：{reason}。已保存的运行记录不受影响。",
    ),
}
