"""Train page strings: every hyperparameter with one sentence of help and typical values."""

STRINGS = {
    "engine.config.problems": ("{problems}", "{problems}"),  # a ConfigError: its problems, each translated
    "train.title": ("Train", "训练"),
    "train.new": ("New training run", "新建训练"),
    "train.dataset": ("Dataset", "数据集"),
    "train.arch": ("Architecture", "网络结构"),
    "train.recipe": ("Recipe", "训练配方"),
    "train.recipe.default": ("Default (LeNet-5, for learning)", "默认（LeNet-5，适合学习）"),
    "train.recipe.drawings": ("Best for drawings", "最适合手绘数字"),
    "train.help.recipe": (
        "Fills the form with a named recipe; measured on the MNIST sample (2 CPU cores): the default LeNet-5 reads "
        "98.1% of unseen test digits and 96.4% of the same digits re-drawn as canvas strokes in about 30 s; "
        "best for drawings (a wider CNN with thicker/thinner-stroke and elastic augmentation) reads 98.1% and "
        "97.2% (ratio 0.99) in about 55 s.",
        "用一个命名的训练配方填好表单；在 MNIST 样本上（2 个 CPU 核）实测：默认的 LeNet-5 约 30 秒训练后认对 98.1% "
        "的未见过的测试数字、96.4% 的重画成画板笔画的同一批数字；“最适合手绘数字”（更宽的 CNN，"
        "加笔画加粗/变细与弹性形变增强）约 55 秒后分别认对 98.1% 和 97.2%（比值 0.99）。",
    ),
    "train.run_name": ("Run name (optional)", "运行名称（可选）"),
    "train.basics": ("Basics", "基本设置"),
    "train.schedule_box": ("Learning-rate schedule", "学习率调度"),
    "train.regularisation": ("Regularisation and augmentation", "正则化与数据增强"),
    "train.validation_box": ("Validation and early stopping", "验证与提前停止"),
    "train.advanced": ("Advanced", "高级"),
    "train.epochs": ("Epochs", "训练轮数（epochs）"),
    "train.help.epochs": (
        "How many times the model sees the whole training set. More epochs fit better until it starts "
        "memorising; 10–30 is typical here.",
        "模型完整看一遍训练集的次数。轮数越多拟合越好，直到开始死记硬背训练数据；这里通常取 10–30。",
    ),
    "train.batch_size": ("Batch size", "批大小（batch size）"),
    "train.help.batch_size": (
        "Images per weight update. Small batches update often but noisily; large ones are smoother and "
        "faster per image. 32–128 is typical; it cannot exceed the training images, and on a small dataset it "
        "starts at the largest power of two that fits. Type any value.",
        "每次更新权重所用的图像数。小批量更新频繁但噪声大；大批量更平稳，每张图更快。通常取 32–128；"
        "它不能超过训练图像数，数据集较小时会从能放下的最大的 2 的幂开始。可以输入任意值。",
    ),
    "train.random_weights_set": (
        "The transfer base now starts from random weights (on Build too). Press **Train** to start.",
        "迁移学习的基础网络现在从随机权重开始（搭建页也已同步）。按 **开始训练** 开始。",
    ),
    "train.few_measured": (
        "Your best run on it so far, **{name}**, reached {acc} test accuracy.",
        "到目前为止你在它上面最好的运行 **{name}** 的测试准确率为 {acc}。",
    ),
    "train.few_overfit": (
        "Your best run on it so far, **{name}**, reached {acc} test accuracy; its validation loss was lowest after "
        "epoch {low} of {last} and rose after that: the later epochs memorised the training images.",
        "到目前为止你在它上面最好的运行 **{name}** 的测试准确率为 {acc}；它的验证损失在第 {low} 轮（共 {last} 轮）"
        "之后最低，此后开始上升：后面的几轮是在死记训练图像。",
    ),
    "train.few_images": (
        "Only **{n} training images** (about {per} per class). Expect a modest, noisy accuracy: a network trained "
        "from scratch on so few images starts to memorise them within a few epochs (the validation loss rises "
        "while the training loss keeps falling). What helps: augmentation and early stopping (Train, tabs "
        "Regularisation and augmentation, and Validation and early stopping), and transfer learning (Build → "
        "Transfer learning) from a model trained on similar images; a base trained on different images (digits "
        "for photos) helps little.",
        "只有 **{n} 张训练图像**（每类约 {per} 张）。准确率会比较有限且波动较大：在这么少的图像上从零训练的网络，"
        "几轮之后就会开始死记训练图像（验证损失上升，而训练损失继续下降）。有帮助的做法：数据增强和提前停止"
        "（训练页的“正则化与数据增强”和“验证与提前停止”标签页），以及从在相似图像上训练过的模型做迁移学习"
        "（搭建 → 迁移学习）；在不同类型图像上训练的基础网络（例如用数字模型识别照片）帮助不大。",
    ),
    "train.optimizer": ("Optimizer", "优化器"),
    "train.help.optimizer": (
        "The rule that turns gradients into weight changes. Adam works out of the box; SGD with momentum "
        "can generalise better with a good schedule.",
        "把梯度变成权重更新的规则。Adam 开箱即用；带动量的 SGD 配合合适的调度往往泛化更好。",
    ),
    "train.learning_rate": ("Learning rate", "学习率"),
    "train.help.learning_rate": (
        "Step size of each update. Too high and the loss explodes, too low and training crawls. "
        "Adam: 0.001–0.003; SGD: 0.01–0.1.",
        "每次更新的步长。太大损失会发散，太小训练会很慢。Adam 常用 0.001–0.003，SGD 常用 0.01–0.1。",
    ),
    "train.momentum": ("Momentum", "动量"),
    "train.help.momentum": (
        "For SGD and RMSprop: how much of the previous step carries over, smoothing the path. 0.9 is typical.",
        "用于 SGD 和 RMSprop：保留多少上一步的方向，使更新路径更平滑。通常取 0.9。",
    ),
    "train.nesterov": ("Nesterov momentum", "Nesterov 动量"),
    "train.help.nesterov": (
        "For SGD: look ahead along the momentum before taking the gradient; usually a little better.",
        "用于 SGD：先沿动量方向“向前看”再计算梯度，通常略好一些。",
    ),
    "train.schedule": ("Schedule", "调度方式"),
    "train.help.schedule": (
        "How the learning rate changes over time. Cosine decays smoothly to nearly zero; step divides it "
        "every few epochs; plateau lowers it when progress stalls.",
        "学习率随时间的变化方式。余弦（cosine）平滑地降到接近零；阶梯（step）每隔几轮缩小一次；"
        "平台（plateau）在进展停滞时降低。",
    ),
    "train.schedule.constant": ("constant", "恒定"),
    "train.schedule.step": ("step", "阶梯衰减"),
    "train.schedule.cosine": ("cosine", "余弦退火"),
    "train.schedule.plateau": ("reduce on plateau", "平台期降低"),
    "train.warmup_epochs": ("Warm-up epochs", "预热轮数"),
    "train.help.warmup_epochs": (
        "Cosine only: ramp the learning rate up from zero over these first epochs. 0–2 is typical.",
        "仅用于余弦调度：前几轮把学习率从零逐渐升高。通常取 0–2。",
    ),
    "train.step_epochs": ("Decay every (epochs)", "每隔多少轮衰减"),
    "train.help.step_epochs": (
        "Step only: multiply the learning rate by the decay factor every this many epochs.",
        "仅用于阶梯调度：每隔这么多轮把学习率乘以衰减系数。",
    ),
    "train.decay_factor": ("Decay factor", "衰减系数"),
    "train.help.decay_factor": (
        "Step and plateau: what the learning rate is multiplied by when it drops. 0.1–0.5 is typical.",
        "用于阶梯和平台调度：降低学习率时乘以的系数。通常取 0.1–0.5。",
    ),
    "train.weight_decay": ("Weight decay", "权重衰减"),
    "train.help.weight_decay": (
        "Pulls weights towards zero to fight over-fitting (AdamW and SGD apply it directly). 0–0.0005 is typical.",
        "把权重拉向零以抑制过拟合（AdamW 和 SGD 会直接应用）。通常取 0–0.0005。",
    ),
    "train.label_smoothing": ("Label smoothing", "标签平滑"),
    "train.help.label_smoothing": (
        "Asks for 90% instead of 100% confidence in the right class, which makes models less over-confident. "
        "0–0.1 is typical.",
        "让模型对正确类别只追求约 90% 而非 100% 的置信度，使其不那么过度自信。通常取 0–0.1。",
    ),
    "train.aug_translation": ("Random shift", "随机平移"),
    "train.help.aug_translation": (
        "Moves each training image by up to this fraction of its size, so position does not matter. 0.1 is typical.",
        "每张训练图像最多平移其尺寸的这一比例，让位置不再重要。通常取 0.1。",
    ),
    "train.aug_rotation": ("Random rotation", "随机旋转"),
    "train.help.aug_rotation": (
        "Rotates by up to this fraction of a full turn (0.05 ≈ 18°). Keep it small for digits: a 6 turned "
        "far becomes a 9.",
        "最多旋转一整圈的这一比例（0.05 约为 18°）。数字不宜转太多：6 转过头就成了 9。",
    ),
    "train.aug_zoom": ("Random zoom", "随机缩放"),
    "train.help.aug_zoom": (
        "Zooms in or out by up to this fraction, so size matters less. 0.1 is typical.",
        "最多放大或缩小这一比例，使大小不那么重要。通常取 0.1。",
    ),
    "train.aug_stroke": ("Pen thickness", "笔画粗细"),
    "train.help.aug_stroke": (
        "The share of training digits drawn with a thicker or a thinner pen (half each), as people's drawings "
        "are: it helps the model read canvas drawings.",
        "训练数字中用更粗或更细的笔重画的比例（各占一半），就像人们画出来的那样：有助于模型认出画板上的数字。",
    ),
    "train.aug_elastic": ("Elastic distortion", "弹性形变"),
    "train.help.aug_elastic": (
        "How much each training digit's strokes are bent at random, as a hand wobbles (elastic distortion, Simard et "
        "al. 2003); 0.2 is a good start.",
        "每个训练数字的笔画被随机弯曲的程度，就像手会抖动一样（弹性形变，Simard 等人 2003 年提出）；可以从 0.2 开始。",
    ),
    "train.aug_flip": ("Random horizontal flip", "随机水平翻转"),
    "train.help.aug_flip": (
        "Mirrors images left-right. Good for photos (a cat is a cat either way), wrong for digits and letters.",
        "左右镜像翻转图像。适合照片（猫翻过来还是猫），不适合数字和字母。",
    ),
    "train.val_fraction": ("Validation split", "验证集比例"),
    "train.help.val_fraction": (
        "Share of the data held back to check the model on images it never trains on. 0.1–0.2 is typical.",
        "预留出来、不参与训练、专门用来检验模型的数据比例。通常取 0.1–0.2。",
    ),
    "train.early_stopping": ("Early stopping", "提前停止"),
    "train.help.early_stopping": (
        "Stop when the monitored value has not improved for `patience` epochs, instead of running every epoch.",
        "当监控指标连续若干轮（耐心值）没有改善时停止，而不是跑完所有轮数。",
    ),
    "train.monitor": ("Monitor", "监控指标"),
    "train.help.monitor": (
        "The number that decides the best checkpoint, early stopping and plateau drops. Validation loss is usual.",
        "决定最佳检查点、提前停止和平台期降学习率的指标。通常用验证集损失。",
    ),
    "train.patience": ("Patience (epochs)", "耐心值（轮）"),
    "train.help.patience": (
        "Early stopping waits this many epochs without improvement before it stops. 5–10 is typical.",
        "提前停止在停止前最多等待多少轮没有改善。通常取 5–10。",
    ),
    "train.restore_best": ("Keep the best epoch's weights", "保留最佳一轮的权重"),
    "train.help.restore_best": (
        "Evaluate and hand out the best checkpoint rather than the last one.",
        "用最佳检查点而不是最后一轮的权重来评估和导出。",
    ),
    "train.seed": ("Random seed", "随机种子"),
    "train.help.seed": (
        "Fixes the data split, initial weights and shuffling, so the same settings give the same run.",
        "固定数据划分、初始权重和打乱顺序，使相同设置得到相同结果。",
    ),
    "train.steps_per_execution": ("Steps per execution", "每次执行的步数"),
    "train.help.steps_per_execution": (
        "Batches run per call into TensorFlow. Higher is faster for small models but the live chart updates "
        "less often. 1–8.",
        "每次调用 TensorFlow 连续运行的批数。对小模型更快，但实时曲线更新变少。取 1–8。",
    ),
    "train.mixed_precision": ("Mixed precision", "混合精度"),
    "train.help.mixed_precision": (
        "Computes in 16-bit floats while keeping the weights and the output in 32-bit: faster and lighter on "
        "GPUs, slower on a CPU. Leave it off unless training runs on a GPU.",
        "以 16 位浮点数计算，权重和输出仍保持 32 位：在 GPU 上更快、更省显存，在 CPU 上反而更慢。"
        "除非在 GPU 上训练，否则保持关闭。",
    ),
    "train.metrics": ("Extra metrics", "附加指标"),
    "train.help.metrics": (
        "Besides loss: accuracy, and the precision, recall and AUC averaged over classes.",
        "除损失外还计算：准确率，以及按类别平均的精确率、召回率和 AUC。",
    ),
    "train.start": ("Train", "开始训练"),
    "train.start_help": (
        "Training runs in its own process: you can switch pages, reload or close the tab.",
        "训练在独立进程中进行：你可以切换页面、刷新或关闭标签页。",
    ),
    "train.invalid": ("These settings can't be trained yet:", "这些设置还不能开始训练："),
    "train.started": ("Run {run} started.", "运行 {run} 已开始。"),
    "train.no_run": (
        "No run selected yet. Press **Train** above: the defaults train LeNet-5 on real MNIST digits "
        "in about a minute.",
        "尚未选择运行。点击上方的 **开始训练**：默认设置大约一分钟就能在真实 MNIST 数字上训练好 LeNet-5。",
    ),
    "train.live": ("Run {name}", "运行 {name}"),
    "train.status.queued": ("Queued: waiting for a free training slot", "排队中：等待空闲的训练位置"),
    "train.status.running": ("Training", "训练中"),
    "train.status.finished": ("Finished", "已完成"),
    "train.status.stopped": ("Stopped", "已停止"),
    "train.status.failed": ("Failed", "失败"),
    "train.status.interrupted": ("Interrupted", "已中断"),
    "train.phase.loading": ("loading data and building the model…", "正在加载数据并构建模型……"),
    "train.phase.validating": ("checking on the validation images…", "正在验证集上检验……"),
    "train.phase.evaluating": ("evaluating on the test images…", "正在测试集上评估……"),
    "train.phase.starting": ("starting the training process…", "正在启动训练进程……"),
    "train.progress.epoch": ("Epoch {epoch}/{epochs}", "第 {epoch}/{epochs} 轮"),
    "train.progress.step": ("step {step}/{steps}", "第 {step}/{steps} 步"),
    "train.progress.rate": ("{rate} images/s", "每秒 {rate} 张图像"),
    "train.progress.eta": ("about {eta} left", "预计还需 {eta}"),
    "train.stop": ("Stop", "停止"),
    "train.stop_help": (
        "Ends the run after the current batch; its completed epochs are kept and Resume continues from them.",
        "在当前批次结束后停止；已完成的轮次会保留，之后可用“继续”接着训练。",
    ),
    "train.stopping": ("Stopping… (finishing the current batch)", "正在停止……（完成当前批次）"),
    "train.resume": ("Resume", "继续"),
    "train.resume_help": (
        "Continues this run with epoch {next}, from its last completed epoch's checkpoint.",
        "从最后完成的一轮的检查点接着训练，从第 {next} 轮继续。",
    ),
    "train.restart": ("Restart", "重新训练"),
    "train.restart_help": (
        "Starts a new run with the same settings, from scratch; this run stays as it is.",
        "用相同的设置从头开始一次新的运行；本次运行保持不变。",
    ),
    "train.again_name": ("{name} (again)", "{name}（重新训练）"),
    "train.stopped_reason": ("Stopped after epoch {done} of {epochs}.", "已在第 {done} 轮（共 {epochs} 轮）后停止。"),
    "train.stopped_before": ("Stopped before its first epoch ended.", "在第一轮结束之前就停止了。"),
    "train.resume_hint": (
        "**Resume** continues with epoch {next}; **Restart** trains a new run with the same settings from the start.",
        "**继续** 会从第 {next} 轮接着训练；**重新训练** 会用相同的设置从头训练一次新的运行。",
    ),
    "train.chart_batches": ("Live: loss and accuracy per batch", "实时：每批的损失和准确率"),
    "train.chart_epochs": ("Per epoch: training vs validation", "每轮：训练集与验证集对比"),
    "train.loss": ("loss", "损失"),
    "train.accuracy": ("accuracy", "准确率"),
    "train.train": ("training", "训练集"),
    "train.validation": ("validation", "验证集"),
    "train.step": ("step", "步"),
    "train.epoch": ("epoch", "轮"),
    "train.waiting_points": ("The first points appear after a second or two.", "一两秒后会出现第一批数据点。"),
    "train.test_accuracy": ("Test accuracy", "测试准确率"),
    "train.drawn_accuracy": ("Drawn digits", "手写画板数字"),
    "train.drawn_help": (
        "Accuracy on the same test digits re-drawn the way people draw on the Predict canvas (thicker or thinner "
        "strokes, any size, anywhere, either colour), through the same preprocessing: what to expect in a live demo.",
        "同一批测试数字按人们在“预测”画板上的画法重新画出（笔画更粗或更细、大小位置随意、颜色深浅皆可），再经过相同的"
        "预处理后的准确率：现场演示时可以预期的表现。",
    ),
    "train.test_loss": ("Test loss", "测试损失"),
    "train.best_val": ("Best validation accuracy", "最佳验证准确率"),
    "train.duration": ("Training time", "训练用时"),
    "train.inspect_link": ("Look inside this model", "查看这个模型的内部"),
    "train.predict_link": ("Draw a digit for it", "画个数字让它认"),
    "train.failed_reason": ("This run failed: {reason}", "本次运行失败：{reason}"),
    "train.interrupted_reason": ("This run was interrupted ({reason}).", "本次运行被中断（{reason}）。"),
    "train.pick_run": ("Show run", "显示运行"),
    "train.seconds": ("{s:.0f} s", "{s:.0f} 秒"),
    "train.minutes": ("{m:.0f} min {s:.0f} s", "{m:.0f} 分 {s:.0f} 秒"),
}
