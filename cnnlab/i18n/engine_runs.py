"""Engine errors about training runs: settings, why a run ended, run actions, export, inspection, teaching, demo.

Each key -> (English, 简体中文). A raise site names the key: raise ImageError("engine.image.empty", label=...).
"""

STRINGS = {
    # ------------------------------------------------------------ training settings (cnnlab/training.py)
    "engine.train.unknown_settings": (
        "unknown setting(s) {names}; known settings: {known}",
        "未知的设置项 {names}；可用的设置项：{known}",
    ),
    "engine.train.not_whole": ("{setting} must be a whole number, got {value}", "{setting} 必须是整数，实际为 {value}"),
    "engine.train.not_number": ("{setting} must be a number, got {value}", "{setting} 必须是数值，实际为 {value}"),
    "engine.train.range_open": (
        "{setting} must be above {low} and at most {high}, got {value}",
        "{setting} 必须大于 {low} 且不超过 {high}，实际为 {value}",
    ),
    "engine.train.range": (
        "{setting} must be at least {low} and at most {high}, got {value}",
        "{setting} 必须在 {low} 到 {high} 之间，实际为 {value}",
    ),
    "engine.train.not_choice": (
        "{setting} must be one of {choices}, got {value}",
        "{setting} 必须是以下之一：{choices}，实际为 {value}",
    ),
    "engine.train.metrics": (
        "metrics must be a list drawn from {choices}, got {value}",
        "metrics 必须是由 {choices} 中的指标组成的列表，实际为 {value}",
    ),
    "engine.train.monitor_needs_val": (
        "monitor {monitor} needs a validation split: set val_fraction above 0 or monitor loss",
        "监控指标 {monitor} 需要验证集：请把验证集比例 val_fraction 设为大于 0，或改为监控 loss",
    ),
    "engine.train.not_bool": (
        "{setting} must be true or false, got {value}",
        "{setting} 必须是 true 或 false，实际为 {value}",
    ),
    "engine.train.augmentation_type": (
        "augmentation must be a mapping like {{'translation': 0.1}}, got {value}",
        "augmentation 必须是类似 {{'translation': 0.1}} 的映射，实际为 {value}",
    ),
    "engine.train.augmentation_unknown": (
        "augmentation has no setting {name}; it accepts {choices}",
        "数据增强没有 {name} 这个设置项，可用的设置项：{choices}",
    ),
    "engine.train.augmentation_flip": (
        "augmentation flip must be true or false, got {value}",
        "数据增强的 flip 必须是 true 或 false，实际为 {value}",
    ),
    "engine.train.augmentation_range": (
        "augmentation {name} must be a fraction between 0 and 0.5, got {value}",
        "数据增强的 {name} 必须是 0 到 0.5 之间的比例，实际为 {value}",
    ),
    "engine.train.unknown_dataset": (
        "unknown dataset {name}; choose one of {names}",
        "未知的数据集 {name}，请从以下数据集中选择：{names}",
    ),
    "engine.train.unknown_recipe": (
        "unknown recipe {name}; choose one of {names}",
        "未知的训练配方 {name}，请从以下配方中选择：{names}",
    ),
    "engine.train.dataset_unavailable": ("dataset {name} is not available: {reason}", "数据集 {name} 不可用：{reason}"),
    "engine.train.batch_too_big": (  # names the setting as the Train page labels it ("train.batch_size")
        "Batch size {batch} is larger than the {count} training images; set Batch size to {count} or less",
        "批大小 {batch} 超过了训练图像的数量（{count} 张）；请把批大小设为 {count} 或更小",
    ),
    "engine.train.no_start_model": ("the starting model {path} does not exist", "起始模型 {path} 不存在"),
    "engine.train.start_model_refused": (
        "the starting model {path} cannot be used: {reason}", "起始模型 {path} 无法使用：{reason}"
    ),
    "engine.train.architecture": ("architecture: {reason}", "网络结构：{reason}"),
    "engine.train.shape_mismatch": (
        "the architecture takes {got} images but {dataset} has {shape} images; rebuild it for {shape} (presets adapt "
        "when you pick them for this dataset)",
        "该网络结构接收 {got} 的图像，而 {dataset} 的图像是 {shape}；请按 {shape} 重新构建（为这个数据集选择预设时会"
        "自动适配）",
    ),
    "engine.train.classes_mismatch": (
        "the architecture has {outputs} outputs but {dataset} has {classes} classes; rebuild it for this dataset",
        "该网络结构有 {outputs} 个输出，而 {dataset} 有 {classes} 个类别；请为这个数据集重新构建",
    ),
    "engine.train.does_not_fit": (
        "the architecture does not fit the data: {reason}",
        "网络结构与数据不匹配：{reason}",
    ),
    "engine.train.out_of_memory": (
        "out of memory: training this network at this batch size needs about {needed} GiB but only {free} GiB are "
        "free; lower the batch size or use a smaller network",
        "内存不足：以当前的批大小训练这个网络约需 {needed} GiB，但只有 {free} GiB 可用；请减小批大小，或换用更小的网络",
    ),
    "engine.train.extra_missing": ("extra_data file {path} does not exist", "extra_data 文件 {path} 不存在"),
    "engine.train.extra_shape": (
        "extra_data must hold x of shape (N, {shape}) and N labels y, got x {x} and y {y}",
        "extra_data 必须包含形状为 (N, {shape}) 的 x 和 N 个标签 y，实际为 x {x}、y {y}",
    ),
    "engine.train.extra_labels": (
        "extra_data labels must be between 0 and {high}",
        "extra_data 的标签必须在 0 到 {high} 之间",
    ),
    "engine.train.extra_unreadable": (
        "cannot read extra_data {path}: {detail} (expected an .npz with arrays x and y)",
        "无法读取 extra_data {path}：{detail}（需要包含数组 x 和 y 的 .npz 文件）",
    ),
    "engine.train.mirrored_batch": (
        "batch_size {batch} must be a multiple of the {devices} devices that the mirrored strategy splits every batch "
        "over",
        "批大小 batch_size（{batch}）必须是 {devices} 的倍数：mirrored 策略会把每个批次平均分到这 {devices} 个设备上",
    ),
    "engine.train.start_shape": (
        "the starting model takes {got} images but {dataset} has {shape} images",
        "起始模型接收 {got} 的图像，而 {dataset} 的图像是 {shape}",
    ),
    "engine.train.start_classes": (
        "the starting model has {outputs} outputs but {dataset} has {classes} classes",
        "起始模型有 {outputs} 个输出，而 {dataset} 有 {classes} 个类别",
    ),
    "engine.train.start_arch": (
        "give the architecture of the starting model (it is not a model from an earlier run)",
        "请给出起始模型的网络结构（它不是之前某次运行训练出的模型）",
    ),
    # ------------------------------------------------------------ why a run ended (cnnlab/worker.py, cnnlab/jobs.py)
    "engine.run.invalid_config": ("invalid configuration: {reason}", "设置无效：{reason}"),
    "engine.run.crashed_oom": (
        "out of memory: the batch or the network is too large for this machine; lower the batch size or use a "
        "smaller network",
        "内存不足：对这台机器来说批次或网络太大；请减小批大小，或换用更小的网络",
    ),
    "engine.run.worker_oom": (
        "out of memory: the worker crashed allocating memory; lower the batch size or use a smaller network",
        "内存不足：训练进程在分配内存时崩溃；请减小批大小，或换用更小的网络",
    ),
    "engine.run.keyboard": ("interrupted by the keyboard", "被键盘中断"),
    "engine.run.crashed": ("{name}: {detail}", "训练出错（{name}）：{detail}"),
    "engine.run.never_started": ("the worker process never started", "训练进程没有启动"),
    "engine.run.worker_died": (
        "the worker process (pid {pid}) ended unexpectedly",
        "训练进程（pid {pid}）意外结束",
    ),
    "engine.run.no_heartbeat": (
        "the worker (pid {pid}) stopped responding: no heartbeat for {seconds}s",
        "训练进程（pid {pid}）已无响应：{seconds} 秒没有心跳",
    ),
    "engine.run.cannot_start": ("could not start a worker: {detail}", "无法启动训练进程：{detail}"),
    "engine.run.stopped_early": ("stopped before it started", "在开始之前就停止了"),
    "engine.run.stopped": ("stopped on request", "已按要求停止"),
    "engine.run.early_stopping": ("early stopping after epoch {epoch}", "在第 {epoch} 轮之后提前停止"),
    "engine.run.no_gpu": (
        "this run asks for a {gpu} ({setting} {value}) and {host} has none it can use; train it on a machine with one "
        "(the Ray runner sends it to a node that has one), or set {setting} to {auto}",
        "这个运行要求使用 {gpu}（{setting} 为 {value}），但 {host} 上没有可用的 {gpu}；请在有 {gpu} 的机器上训练"
        "（Ray 运行器会把它发到有 {gpu} 的节点），或把 {setting} 设为 {auto}",
    ),
    "engine.run.time_budget": (
        "its time budget of {seconds} s of training was reached after epoch {epoch}",
        "训练时间预算 {seconds} 秒在第 {epoch} 轮之后用完",
    ),
    "engine.run.diverged_step": (
        "diverged: the loss became {loss} at epoch {epoch}, step {step}; lower the learning rate",
        "训练发散：第 {epoch} 轮第 {step} 步时损失变成了 {loss}；请降低学习率",
    ),
    "engine.run.diverged": (
        "diverged: the loss became {loss} in epoch {epoch}; lower the learning rate",
        "训练发散：第 {epoch} 轮的损失变成了 {loss}；请降低学习率",
    ),
    "engine.run.checkpoint_missing": (
        "the run has completed epochs but its last checkpoint is missing; start it again",
        "这次运行已经完成了若干轮训练，但最近一次的检查点不见了；请重新开始训练",
    ),
    "engine.run.shadow_mismatch": (
        "the shadow model does not match the trained model; set CNNLAB_SYNC_CHECKPOINTS=1",
        "后台保存检查点用的模型副本与训练中的模型不一致；请改为同步保存检查点后再训练",
    ),
    "engine.run.lost": ("run {run} was taken over by another process", "运行 {run} 已被另一个进程接管"),
    # ------------------------------------------------------------ run actions (cnnlab/jobs.py)
    "engine.job.cannot_stop": (
        "run {run} is {status}; only queued or running runs can be stopped",
        "运行 {run} 的状态是“{status}”；只有排队中或训练中的运行可以停止",
    ),
    "engine.job.cannot_resume_active": (
        "run {run} is {status} (it is still going); only stopped or interrupted runs can be resumed",
        "运行 {run} 的状态是“{status}”（它还在进行）；只有已停止或已中断的运行可以继续",
    ),
    "engine.job.cannot_resume": (
        "run {run} is {status}; only stopped or interrupted runs can be resumed",
        "运行 {run} 的状态是“{status}”；只有已停止或已中断的运行可以继续",
    ),
    "engine.run.no_such_id": ("no run with id {run!r}", "没有编号为 {run!r} 的运行"),
    "engine.run.no_match": (
        "no run matches {ref!r}; `python -m cnnlab runs` lists them",
        "没有与 {ref!r} 相符的运行；“运行记录”页面列出了全部运行",
    ),
    "engine.run.ambiguous": (
        "{ref!r} matches several runs ({ids}); give more of the id",
        "{ref!r} 与多个运行相符（{ids}），请输入更长的编号",
    ),
    "engine.run.empty_name": ("a run name cannot be empty", "运行名称不能为空"),
    "engine.store.newer": (
        "{path} was written by a newer CNN Lab (schema {version}, this one knows {known}); upgrade CNN Lab or set "
        "CNNLAB_HOME to another folder",
        "{path} 由更新版本的 CNN Lab 写入（数据结构版本 {version}，本版本只认识 {known}）；请升级 CNN Lab，或把 "
        "CNNLAB_HOME 设为另一个文件夹",
    ),
    "engine.store.foreign": (
        "{path} is another program's database, not a CNN Lab run store; set CNNLAB_HOME to another folder",
        "{path} 是其他程序的数据库，不是 CNN Lab 的运行记录库；请把 CNNLAB_HOME 设为另一个文件夹",
    ),
    "engine.store.damaged": (
        "{path} is damaged or is not a database; move it away (a new run store starts empty) or restore a copy",
        "{path} 已损坏或不是数据库；请把它移走（新的运行记录库会从空开始），或恢复一份备份",
    ),
    "engine.store.read_only": (
        "{path} cannot be written (the folder or the file is read-only); set CNNLAB_HOME to a folder you can write",
        "无法写入 {path}（文件夹或文件是只读的）；请把 CNNLAB_HOME 设为一个可写的文件夹",
    ),
    "engine.store.unusable": (
        "the run store at {path} cannot be opened: {detail}",
        "无法打开位于 {path} 的运行记录库：{detail}",
    ),
    "engine.store.home_unusable": (
        "the data folder {path} cannot be used: {detail}; set CNNLAB_HOME to a folder",
        "无法使用数据文件夹 {path}：{detail}；请把 CNNLAB_HOME 设为一个文件夹",
    ),
    "engine.run.bad_ref": (
        "give a run's id, the start of its id, or its name (1 to {limit} characters)",
        "请输入运行的编号、编号的开头或运行名称（1 到 {limit} 个字符）",
    ),
    "engine.store.no_free_id": ("could not find a free run id", "找不到可用的运行编号"),
    "engine.status.queued": ("queued", "排队中"),
    "engine.status.running": ("running", "训练中"),
    "engine.status.finished": ("finished", "已完成"),
    "engine.status.stopped": ("stopped", "已停止"),
    "engine.status.failed": ("failed", "失败"),
    "engine.status.interrupted": ("interrupted", "已中断"),
    "engine.job.bad_max_running": (
        "the number of runs training at once must be a whole number of at least 1, got {value}",
        "同时训练的运行数必须是不小于 1 的整数，实际为 {value}",
    ),
    "engine.runner.ray_missing": (
        "the Ray runner needs Ray, which is not installed here: run {command} (or train with the local runner: unset"
        " {setting})",
        "Ray 运行器需要 Ray，但这里没有安装：请运行 {command}（或改用本地运行器：取消设置 {setting}）",
    ),
    "engine.runner.unknown": (
        "there is no job runner called {name}; choose {choices}",
        "没有名为 {name} 的任务运行器；请选择 {choices}",
    ),
    "engine.runner.no_cluster": (
        "could not reach the Ray cluster ({detail}); check {setting} and that {command} runs there",
        "无法连接 Ray 集群（{detail}）；请检查 {setting}，并确认那台机器上运行着 {command}",
    ),
    "engine.study.not_found": ("no study matches {ref}", "没有与 {ref} 匹配的实验"),
    "engine.study.entries": (
        "an arena compares {low} to {high} architectures; {count} were given",
        "对比赛场需要 {low} 到 {high} 个网络结构；现在给了 {count} 个",
    ),
    "engine.study.duplicate": ("each architecture once, please: {names}", "每个网络结构只需选一次：{names}"),
    "engine.study.entry_problem": ("{entry}: {reason}", "{entry}：{reason}"),
    "engine.job.changed": ("run {run} changed state meanwhile; try again", "运行 {run} 的状态刚刚变了，请再试一次"),
    "engine.job.still_training": ("run {run} is still training; stop it first", "运行 {run} 还在训练，请先停止它"),
    # ------------------------------------------------------------ export (cnnlab/export.py)
    "engine.export.no_model": (
        "this run has no saved model yet (it saves one after its first completed epoch)",
        "这次运行还没有保存模型（完成第一轮训练后才会保存）",
    ),
    "engine.export.needs_tensorflow": (
        "{what} export needs TensorFlow, which is not installed here (Keras runs on {backend}); export this run on a "
        "machine with TensorFlow, e.g. where the app runs: its .keras checkpoint works there unchanged",
        "导出 {what} 需要 TensorFlow，但这里没有安装（Keras 运行在 {backend} 上）；请在装有 TensorFlow 的机器上导出"
        "这次运行，例如运行本应用的机器：它的 .keras 检查点在那里可以直接使用",
    ),
    "engine.export.savedmodel_failed": ("SavedModel export failed: {detail}", "导出 SavedModel 失败：{detail}"),
    "engine.export.tflite_failed": (
        "TensorFlow Lite conversion failed: {detail}",
        "转换为 TensorFlow Lite 失败：{detail}",
    ),
    # ------------------------------------------------------------ inspection (cnnlab/inspection.py)
    "engine.inspect.backend": (
        "gradients (Grad-CAM, saliency) need the TensorFlow or JAX backend, not {backend}",
        "梯度（Grad-CAM、显著图）需要 TensorFlow 或 JAX 后端，而不是 {backend}",
    ),
    "engine.inspect.inputs": (
        "model {name} takes {count} inputs; only one image input works",
        "模型 {name} 有 {count} 个输入；只支持单个图像输入",
    ),
    "engine.inspect.subclassed": (
        "{name} is a subclassed model: only Sequential and Functional models can be inspected layer by layer",
        "{name} 是子类化模型：只有 Sequential 和 Functional 模型可以逐层查看",
    ),
    "engine.inspect.no_layers": ("the model has no layers to inspect", "模型中没有可查看的层"),
    "engine.inspect.no_cam_layer": (
        "Grad-CAM needs a layer with a feature map (H x W x C); this model has none",
        "Grad-CAM 需要一个输出特征图（H x W x C）的层，而这个模型没有",
    ),
    "engine.inspect.class_range": (
        "class {index} is out of range: the model has {count} classes (0..{last})",
        "类别 {index} 超出范围：模型共有 {count} 个类别（0..{last}）",
    ),
    "engine.inspect.no_snapshots": ("no filter snapshots were saved for this run", "这次运行没有保存卷积核快照"),
    "engine.inspect.classes_mismatch": (
        "the model outputs {outputs} classes but the dataset has {classes}",
        "模型输出 {outputs} 个类别，而数据集有 {classes} 个",
    ),
    "engine.inspect.empty_test": ("the test split is empty — nothing to evaluate", "测试集是空的——没有可评估的内容"),
    "engine.inspect.no_penultimate": (
        "the model's head takes the image directly; there is no penultimate layer to project",
        "模型的输出层直接接收图像；没有可用于投影的倒数第二层",
    ),
    "engine.inspect.tsne_sklearn": (
        "t-SNE needs scikit-learn: pip install scikit-learn (or use method='pca')",
        "t-SNE 需要 scikit-learn 库，但这里没有安装；请先安装它，或改用 pca 投影",
    ),
    "engine.inspect.tsne_few": (
        "t-SNE needs at least 5 images, got {count}",
        "t-SNE 至少需要 5 张图像，实际只有 {count} 张",
    ),
    "engine.inspect.embedding_few": (
        "an embedding needs at least 3 images, got {count}",
        "降维投影至少需要 3 张图像，实际只有 {count} 张",
    ),
    "engine.inspect.method": (
        "method must be 'pca' or 'tsne', not {value}",
        "投影方法只能是 pca 或 t-SNE，实际为 {value}",
    ),
    "engine.inspect.output_shape": (
        "the model's output has shape {shape}; class explanations need a (classes,) vector",
        "模型输出的形状是 {shape}；解释某个类别需要每个类别一个值的输出向量",
    ),
    "engine.inspect.not_feature_map": (
        "{name} outputs shape {shape}; Grad-CAM needs an (H, W, C) feature map",
        "{name} 的输出形状是 {shape}；Grad-CAM 需要形状为 (H, W, C) 的特征图",
    ),
    "engine.inspect.probs_mismatch": (
        "probabilities {shape} do not match {count} labels",
        "概率数组的形状 {shape} 与 {count} 个标签对不上",
    ),
    "engine.inspect.kinds": (
        "kinds must be 'spatial' or 'all', not {value}",
        "要列出的层只能是输出特征图的层或全部层，实际为 {value}",
    ),
    "engine.inspect.snapshot_shapes": (
        "filter snapshots must all be (kh, kw, Cin, F) kernels of the same layer",
        "卷积核快照必须都来自同一层，形状也必须相同",
    ),
    "engine.inspect.no_input_shape": (
        "the model has no input shape yet: start it with keras.Input(shape=(H, W, C)) or call "
        "model.build((None, H, W, C))",
        "模型还没有确定输入形状：请在模型开头加一个指定图像高、宽和通道数的输入层，或先按这个输入形状构建模型",
    ),
    "engine.inspect.no_such_layer": (
        "the model has no {what} named {name}; choose one of {options}",
        "模型中没有名为 {name} 的{what}；可选的有：{options}",
    ),
    "engine.inspect.wrong_type": (
        "{name} is a {type} layer, not a {what} ({types})",
        "{name} 是 {type} 层，不是{what}（{types}）",
    ),
    "engine.inspect.word_layer": ("layer", "层"),
    "engine.inspect.word_convolution": ("convolution", "卷积层"),
    "engine.inspect.word_pooling": ("pooling layer", "池化层"),
    "engine.inspect.dtype": (
        "images must be numbers, got dtype {dtype}",
        "图像必须是数值数组，实际的数据类型为 {dtype}",
    ),
    "engine.inspect.image_rank": (
        "expected images shaped (H, W), (H, W, C) or (N, H, W, C), got {shape}",
        "图像的形状应为 (H, W)、(H, W, C) 或 (N, H, W, C)，实际为 {shape}",
    ),
    "engine.inspect.image_size": (
        "the model takes {want} images but got {got} — use a dataset with the model's image size",
        "模型接收 {want} 的图像，实际得到的是 {got}——请使用图像尺寸与模型相同的数据集",
    ),
    "engine.inspect.one_image": ("pass one image, not a batch of {count}", "请只传入一张图像，而不是一批 {count} 张"),
    "engine.inspect.position": (
        "output position ({row}, {col}) is outside {name}'s {h}x{w} output",
        "输出位置 ({row}, {col}) 超出了 {name} 的 {h}x{w} 输出范围",
    ),
    "engine.inspect.data_format": (
        "{name} uses {format}; only channels_last layers can be stepped",
        "{name} 使用的数据格式是 {format}；只有通道维在最后的层才能逐步演示",
    ),
    "engine.inspect.filter_range": (
        "{name} has {count} filters (0..{last}); got {index}",
        "{name} 有 {count} 个卷积核（0..{last}），实际为 {index}",
    ),
    "engine.inspect.channel_range": (
        "{name} has {count} channels (0..{last}); got {index}",
        "{name} 有 {count} 个通道（0..{last}），实际为 {index}",
    ),
    "engine.inspect.padding": (
        "{name} uses padding={padding}; the step-through explains 'valid' and 'same'",
        "{name} 的填充方式是 {padding}；逐步演示只支持 valid 和 same 两种填充方式",
    ),
    # ------------------------------------------------------------ teaching with drawings (cnnlab/teach.py)
    "engine.teach.channels": (
        "the model takes {channels}-channel images; only grayscale (1) or colour (3) images can be fed",
        "模型接收 {channels} 通道的图像；只能输入灰度（1 通道）或彩色（3 通道）图像",
    ),
    "engine.teach.label": (
        "the label must be a class number between 0 and {high}, got {value}",
        "标签必须是 0 到 {high} 之间的类别编号，实际为 {value}",
    ),
    "engine.teach.empty": ("the drawing is empty; draw a digit first", "画布是空的，请先画一个数字"),
    "engine.teach.full": (
        "your set already holds {count} drawings; remove some before adding more",
        "你的手写集里已经有 {count} 张，请先删掉一些再添加",
    ),
    "engine.teach.no_such_drawing": (
        "there is no drawing number {index}; the set has {count}",
        "没有编号为 {index} 的手写数字；手写集里共有 {count} 张",
    ),
    "engine.teach.none_yet": (
        "add at least one drawing with its correct label before fine-tuning",
        "微调之前，请至少在手写集里加入一张标好正确标签的手写数字",
    ),
    "engine.teach.not_digits": (
        "drawings are 28x28 grayscale; run {name} takes {shape} images",
        "手写数字是 28x28 的灰度图像，而运行 {name} 接收的是 {shape} 的图像",
    ),
    "engine.teach.damaged": (
        "the drawings file {path} is damaged ({detail}); delete it to start a new set",
        "手写集文件 {path} 已损坏（{detail}）；删除它即可重新开始",
    ),
    "engine.teach.wrong_arrays": (
        "the drawings file {path} holds x {x} and y {y}; delete it to start a new set",
        "手写集文件 {path} 中的 x 为 {x}、y 为 {y}，两者不匹配；删除它即可重新开始",
    ),
    "engine.teach.drawing_shape": (
        "a drawing must be 28x28 (the preprocessed canvas), got shape {shape}",
        "手写数字必须是 28x28（预处理后的画布），实际形状为 {shape}",
    ),
    "engine.teach.bad_dataset": ("{name} is not a dataset name", "{name} 不是有效的数据集名称"),
    "engine.teach.photos_off_one": (
        "Photo recognition is off: this machine is offline and {file} is not in {folder}. Copy {file} there "
        "(download: {weights_url} and {classes_url}), then reload.",
        "照片识别已关闭：这台机器无法联网，而 {folder} 中没有 {file}。请把 {file} 复制到那里（下载地址：{weights_url} "
        "和 {classes_url}），然后重新加载页面。",
    ),
    "engine.teach.photos_off_two": (
        "Photo recognition is off: this machine is offline and {first}, {second} are not in {folder}. Copy {first} "
        "and {second} there (download: {weights_url} and {classes_url}), then reload.",
        "照片识别已关闭：这台机器无法联网，而 {folder} 中没有 {first} 和 {second}。请把这两个文件复制到那里（下载地址："
        "{weights_url} 和 {classes_url}），然后重新加载页面。",
    ),
    # ------------------------------------------------------------ demo mode (cnnlab/demo.py)
    "engine.demo.uploads": (
        "demo limit: at most {count} uploads per visitor",
        "演示模式限制：每位访客最多上传 {count} 个文件",
    ),
    "engine.upload.session_full": (
        "This file was not kept: your uploads would hold more than {mb} MB of the server's memory (they hold "
        "{held} MB with it). Remove a file you no longer need (its ✕), then upload again.",
        "这个文件没有保留：你的上传将占用服务器超过 {mb} MB 内存（加上它共 {held} MB）。"
        "请先移除不再需要的文件（点它的 ✕），再重新上传。",
    ),
    "engine.upload.server_full": (
        "This file was not kept: everyone's uploads together would hold more than {mb} MB of the server's memory. "
        "Try again in a little while, or with a smaller file.",
        "这个文件没有保留：所有访客的上传合计将占用服务器超过 {mb} MB 内存。请稍后再试，或换一个更小的文件。",
    ),
    "engine.demo.upload_bytes": (
        "demo limit: at most {mb} MB of uploads per visitor",
        "演示模式限制：每位访客最多上传 {mb} MB",
    ),
    "engine.demo.busy": (
        "the demo is busy: too many predictions at once, try again in a moment",
        "演示正忙：同时进行的预测太多，请稍后再试",
    ),
    # ------------------------------------------------------------ metrics and pictures (cnnlab/metrics.py, imaging.py)
    "engine.metrics.count_mismatch": (
        "{labels} labels but {predictions} predictions",
        "有 {labels} 个标签，却有 {predictions} 个预测",
    ),
    "engine.metrics.out_of_range": (
        "labels and predictions must lie in 0..{last}",
        "标签和预测必须在 0 到 {last} 之间",
    ),
    "engine.imaging.tile_shape": (
        "tile_channels needs an (H, W, C) feature map, got shape {shape}",
        "平铺通道需要形状为 (H, W, C) 的特征图，实际形状为 {shape}",
    ),
    "engine.imaging.overlay_shape": (
        "overlay needs a greyscale or RGB image, got shape {shape}",
        "叠加热力图需要灰度或 RGB 图像，实际形状为 {shape}",
    ),
    "engine.imaging.mosaic_shape": (
        "mosaic needs (N, h, w) or (N, h, w, 3) tiles, got shape {shape}",
        "拼图需要一组灰度或彩色小图，实际形状为 {shape}",
    ),
    # ------------------------------------------------------------ the model service (cnnlab/inspection/service.py)
    "engine.service.cannot_start": (
        "the model service could not start; see the server log",
        "模型服务无法启动；请查看服务器日志",
    ),
    "engine.service.stopped": (
        "the model service stopped while answering; try again",
        "模型服务在回答时停止了；请再试一次",
    ),
    "engine.service.failed": (
        "the model could not do this ({name}: {detail})",
        "模型无法完成这项操作（{name}：{detail}）",
    ),
}
