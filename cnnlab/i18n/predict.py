"""Predict page strings: drawing, the preprocessing steps, the result, teaching, uploads and photos."""

STRINGS = {
    "predict.title": ("Predict", "预测"),
    "predict.intro": (
        "Draw a digit anywhere on the black canvas, at any size, or show one to the webcam. The prediction "
        "follows your pen while you draw, and you see each step that turns your drawing into the 28×28 image the "
        "network reads.",
        "在黑色画布上任意位置、任意大小写一个数字，或者把写好的数字拿给摄像头看。书写过程中预测会随笔迹实时更新；"
        "你还能看到绘画一步步变成网络读取的 28×28 图像的过程。",
    ),
    # choosing the run
    "predict.run": ("Model", "模型"),
    "predict.run_help": (
        "Any run with a saved model. Drawing needs a model trained on 28×28 grayscale images (MNIST-like).",
        "任何已保存模型的运行。手写预测需要用 28×28 灰度图像（类似 MNIST）训练的模型。",
    ),
    "predict.run_option": ("{name} · {dataset} · test accuracy {acc}", "{name} · {dataset} · 测试准确率 {acc}"),
    "predict.best_default": (
        "Chosen for you: the model that reads drawn digits best so far ({drawn} of drawn test digits right).",
        "已为你选好：目前最能认出手写画板数字的模型（手写测试数字答对 {drawn}）。",
    ),
    "predict.using": ("Predicting with **{name}** (`{id}`).", "当前使用 **{name}**（`{id}`）进行预测。"),
    "predict.no_checkpoint": (
        "This run has no saved model yet; pick another one.",
        "这个运行还没有保存模型，请选择其他运行。",
    ),
    # no trained run yet
    "predict.no_model": (
        "There is no trained model yet. Train the default LeNet-5 recipe on the MNIST sample in the background "
        "(about a minute or two here); this page switches to drawing when it is done.",
        "还没有训练好的模型。可以在后台用默认配方在 MNIST 样本上训练 LeNet-5（这台机器上大约一两分钟），"
        "训练完成后本页会自动切换到手写预测。",
    ),
    "predict.train_default": ("Train LeNet-5 (default recipe)", "训练 LeNet-5（默认配方）"),
    "predict.default_run_name": ("LeNet-5 default recipe", "LeNet-5 默认配方"),
    "predict.invalid": ("This run can't start:", "无法开始训练："),
    "predict.training": ("Training **{name}** in the background…", "正在后台训练 **{name}**……"),
    "predict.progress": ("Epoch {epoch} of {epochs}", "第 {epoch} / {epochs} 轮"),
    "predict.queued": ("Waiting for a free training slot…", "正在等待空闲的训练名额……"),
    "predict.run_failed": (
        "Training ended without a usable model: {reason}",
        "训练结束，但没有得到可用的模型：{reason}",
    ),
    "predict.train_link": ("Watch it on the Train page", "在“训练”页查看详情"),
    # drawing
    "predict.tab_draw": ("Draw", "手写"),
    "predict.tab_webcam": ("Webcam", "摄像头"),
    "predict.tab_upload": ("Upload images", "上传图片"),
    "predict.tab_photos": ("Photos (ImageNet)", "照片（ImageNet）"),
    "predict.brush": ("Brush size", "笔刷粗细"),
    "predict.brush_help": (
        "Stroke width in canvas pixels. Any width works: strokes are evened out to MNIST's width.",
        "笔画宽度（画布像素）。粗细都可以：预处理会把笔画调整到 MNIST 的粗细。",
    ),
    "predict.canvas": ("Drawing canvas: draw a digit here", "手写画布：在这里写一个数字"),
    "predict.undo": ("Undo", "撤销"),
    "predict.clear": ("Clear", "清空"),
    "predict.toolbar_hint": (
        "The prediction follows your pen while you draw; Grad-CAM and the feature maps appear when you lift it. "
        "Undo takes back the last stroke.",
        "书写时预测随笔迹实时更新；抬笔后显示 Grad-CAM 和特征图。“撤销”会去掉最后一笔。",
    ),
    "predict.lift_pen": (
        "Drawing… Grad-CAM and the feature maps follow when you lift the pen.",
        "正在书写……抬笔后显示 Grad-CAM 和特征图。",
    ),
    "predict.lift_pen_help": (
        "While you draw, only the quick part runs (the steps and the probabilities), a few times a second.",
        "书写过程中只运行快速的部分（预处理步骤和各类别概率），每秒更新几次。",
    ),
    "predict.draw_needs_digits": (
        "Drawing needs a model that reads 28×28 grayscale images; **{name}** takes {shape} images. "
        "Pick an MNIST-like run above, or upload images in the next tab.",
        "手写预测需要读取 28×28 灰度图像的模型；**{name}** 的输入是 {shape}。"
        "请在上方选择一个类似 MNIST 的运行，或在下一个标签页上传图片。",
    ),
    "predict.empty": (
        "Nothing to recognise yet: the canvas is empty. Draw a digit with the mouse, a pen or a finger.",
        "还没有可识别的内容：画布是空的。用鼠标、手写笔或手指写一个数字吧。",
    ),
    "predict.dot": (
        "Nothing to recognise: that is only a dot. Draw a whole digit.",
        "没有可识别的内容：这只是一个点。请写一个完整的数字。",
    ),
    "predict.steps": ("What the model sees", "模型看到的图像"),
    "predict.step_drawn": ("drawn", "原始绘画"),
    "predict.step_cropped": ("cropped", "裁剪"),
    "predict.step_scaled": ("20×20", "缩放到 20×20"),
    "predict.step_centred": ("centred 28×28", "居中 28×28"),
    "predict.steps_help": (
        "Like MNIST: the ink is cropped, its longer side scaled to 20 pixels, and its centre of mass put at the "
        "centre of a 28×28 field.",
        "与 MNIST 的做法一致：裁剪出笔迹，把长边缩放到 20 像素，再把笔迹的质心放到 28×28 图像的正中。",
    ),
    # the webcam
    "predict.webcam_intro": (
        "Write a digit in dark ink on light paper, hold it up to the camera so that the paper fills most of the "
        "picture, and take a photo. Uneven light is fine: the paper's brightness is evened out before MNIST's steps.",
        "在浅色纸上用深色笔写一个数字，把纸举到摄像头前（让纸占满大部分画面），然后拍照。光线不均匀也没关系："
        "在执行 MNIST 的预处理步骤之前，会先把纸面的亮度校正均匀。",
    ),
    "predict.webcam_take": ("Photo of a handwritten digit", "手写数字的照片"),
    "predict.webcam_help": (
        "The browser asks once for permission to use the camera. The photo is not saved.",
        "浏览器会请求一次摄像头权限。照片不会被保存。",
    ),
    "predict.webcam_hint": (
        "No photo yet. Allow the camera, then take a photo of your digit.",
        "还没有照片。请允许使用摄像头，然后给你写的数字拍一张照片。",
    ),
    "predict.webcam_blank": (
        "Nothing to recognise: no ink stands out from the paper. Write the digit bigger or darker and hold it "
        "closer to the camera.",
        "没有可识别的内容：纸上看不出笔迹。请把数字写得更大或更深，并把纸拿得离摄像头近一些。",
    ),
    "predict.webcam_steps_help": (
        "First the lighting is evened out: each pixel's ink is how much darker it is than the paper around it. "
        "Then, like MNIST: the ink is cropped, its longer side scaled to 20 pixels, and its centre of mass put at "
        "the centre of a 28×28 field.",
        "先校正光照：每个像素的笔迹强度等于它比周围纸面暗多少。然后与 MNIST 的做法一致：裁剪出笔迹，"
        "把长边缩放到 20 像素，再把笔迹的质心放到 28×28 图像的正中。",
    ),
    "predict.webcam_photo": ("your photo", "你的照片"),
    "predict.step_photo": ("photo", "照片"),
    "predict.step_ink": ("light evened", "光照校正"),
    # the result
    "predict.predicted": ("Prediction", "预测结果"),
    "predict.confidence": ("Confidence", "置信度"),
    "predict.unsure": (
        "The model is unsure (under 50 %). If it is wrong, teach it below.",
        "模型不太确定（低于 50%）。如果认错了，可以在下方教它。",
    ),
    "predict.probabilities": ("Probability of each class", "各类别的概率"),
    "predict.gradcam": ("Grad-CAM: where it looked", "Grad-CAM：模型关注的位置"),
    "predict.gradcam_help": (
        "Red marks the parts of the 28×28 input that raised the score of the predicted class most (layer {layer}).",
        "红色表示 28×28 输入中最能提高预测类别得分的区域（{layer} 层）。",
    ),
    "predict.features": ("Feature maps of the first convolutions", "前几层卷积的特征图"),
    "predict.feature_caption": ("{layer}: {channels} maps of {h}×{w}", "{layer}：{channels} 张 {h}×{w} 的特征图"),
    "predict.no_conv": ("This model has no convolution layers to show.", "这个模型没有可展示的卷积层。"),
    "predict.busy": ("{reason}", "{reason}"),
    # teaching
    "predict.teach": ("Wrong? Teach it", "认错了？教教它"),
    "predict.correct_label": ("The right answer", "正确答案"),
    "predict.choose": ("Pick the right class", "选择正确的类别"),
    "predict.add": ("Add to my drawings", "加入我的手写集"),
    "predict.shifts": (
        "Average over small shifts (+{gain:.1f} points on drawn digits, +{ms:.1f} ms)",
        "对微小平移取平均（手写画板数字准确率 +{gain:.1f} 个百分点，耗时 +{ms:.1f} 毫秒）",
    ),
    "predict.shifts_help": (
        "The model also looks at your drawing moved by one pixel in each of eight directions and averages the nine "
        "answers, so a digit drawn a little off from where it expects ink counts less. Measured when this run "
        "finished, on the same test digits re-drawn as people draw: {plain:.1%} without, {shifted:.1%} with.",
        "模型还会看你的画向八个方向各移动一个像素后的样子，并对九个答案取平均，这样笔画偏离它预期的位置一点点就不那么要紧。"
        "这是本次运行结束时在按人们手写方式重画的测试数字上测得的：不取平均 {plain:.1%}，取平均 {shifted:.1%}。",
    ),
    "predict.doubt": (
        "Are you sure it is “{label}”? The model reads it as **{says}** ({confidence:.0%} sure), and {agree} of the "
        "{k} training images most like it are {says}s. Teaching it “{label}” moves the model's boundary for every "
        "image like this one, so real {says}s may start to read as {label}. Keep it if you are sure.",
        "确定是“{label}”吗？模型认为它是 **{says}**（把握 {confidence:.0%}），"
        "与它最相似的 {k} 张训练图像中有 {agree} 张是 {says}。教它“{label}”会移动模型对所有类似图像的判断边界，"
        "真正的 {says} 可能开始被认成 {label}。确定的话仍可保存。",
    ),
    "predict.added": ("Saved as “{label}”. Draw the next one.", "已保存为“{label}”。接着写下一个吧。"),
    "predict.my_drawings": ("My drawings ({count})", "我的手写集（{count} 张）"),
    "predict.my_drawings_help": (
        "Your corrected drawings for {dataset}, kept in the run store. Fine-tuning trains a copy of the current "
        "model on the original training data plus these drawings, as a new run.",
        "你为 {dataset} 纠正过的手写数字，保存在运行记录库中。微调会以当前模型为起点，用原训练数据加上这些手写数字"
        "训练出一个新的运行。",
    ),
    "predict.no_drawings": (
        "No drawings yet. When a prediction is wrong, pick the right answer above and add the drawing.",
        "还没有手写样本。预测出错时，在上方选出正确答案并加入这张手写图。",
    ),
    "predict.label_caption": ("#{index} · {label}", "#{index} · {label}"),
    "predict.remove_index": ("Drawing #", "手写图编号"),
    "predict.remove": ("Remove", "删除"),
    "predict.finetune": ("Fine-tune on my drawings", "用我的手写集微调"),
    "predict.finetune_help": (
        "A new run: starts from {name}, {epochs} epochs at a lower learning rate, on the original data plus your "
        "drawings.",
        "新建一个运行：从 {name} 出发，以较低的学习率训练 {epochs} 轮，数据为原训练集加上你的手写图。",
    ),
    "predict.finetune_name": ("{name} + my drawings", "{name} + 我的手写集"),
    "predict.finetune_figures": (
        "Test digits: {test_before} before, {test_after} after · drawn digits: {drawn_before} before, "
        "{drawn_after} after.",
        "测试数字：微调前 {test_before}，微调后 {test_after} · "
        "手写画板数字：微调前 {drawn_before}，微调后 {drawn_after}。",
    ),
    "predict.finetune_cost": (
        "Fine-tuning cost {points} points of test accuracy: the model may now misread digits it used to get right. "
        "Check the drawings' labels, or discard it.",
        "微调让测试准确率下降了 {points} 个百分点：模型可能会认错原来认得对的数字。"
        "请检查手写图的标签，或者丢弃这个模型。",
    ),
    "predict.discard_finetuned": ("Discard the fine-tuned model", "丢弃微调后的模型"),
    "predict.discard_help": (
        "Deletes the fine-tuning run; your drawings and the original model stay.",
        "删除这次微调运行；你的手写图和原来的模型都会保留。",
    ),
    "predict.before_after": ("Your drawings before and after fine-tuning", "微调前后对你的手写图的预测"),
    "predict.before_after_caption": (
        "label {label}: {before} → {after}",
        "标签 {label}：{before} → {after}",
    ),
    "predict.before_after_summary": (
        "Before: {before} of {n} right · after: {after} of {n} right.",
        "微调前：{n} 张中对 {before} 张 · 微调后：{n} 张中对 {after} 张。",
    ),
    "predict.use_finetuned": ("Predict with the fine-tuned model", "改用微调后的模型预测"),
    # uploads
    "predict.upload": ("Images to classify", "要识别的图片"),
    "predict.upload_help": (
        "PNG, JPEG, GIF, BMP or WEBP, one or many. For a digit model, a photo of a digit on paper is inverted and "
        "centred like a drawing; other models get the image resized to their input.",
        "支持 PNG、JPEG、GIF、BMP、WEBP，可一次上传多张。对数字模型，纸上数字的照片会像手写图一样反色并居中；"
        "其他模型则把图片缩放到它的输入大小。",
    ),
    "predict.upload_hint": (
        "The model sees each image as shown in the gallery: what it reads, and its three most likely classes.",
        "图库中显示的就是模型读到的图像，以及它认为最可能的三个类别。",
    ),
    "predict.bad_file": ("Can't use this image: {reason}", "无法使用这张图片：{reason}"),
    "predict.blank_file": (
        "{name}: nothing to recognise (the image is blank).",
        "{name}：没有可识别的内容（图片是空白的）。",
    ),
    "predict.quota": ("{name}: {reason}", "{name}：{reason}"),
    # photos
    "predict.photos_intro": (
        "A MobileNetV2 trained on ImageNet's 1,000 everyday classes (dogs, mugs, cars…), for photos.",
        "一个在 ImageNet 的 1000 个日常类别（狗、杯子、汽车……）上训练好的 MobileNetV2，用来识别照片。",
    ),
    "predict.photos_offline": (
        "Photo recognition is off: this machine is offline and the ImageNet files are not in the Keras cache. "
        "To turn it on, copy these files into `{folder}` and reload this page (with internet access they are "
        "downloaded automatically):",
        "照片识别未启用：这台机器无法联网，Keras 缓存里也没有 ImageNet 文件。要启用它，请把下列文件复制到 "
        "`{folder}`，然后刷新本页（能联网时会自动下载）：",
    ),
    "predict.photos_download": (
        "The weights (14 MB) are downloaded into `{folder}` the first time you upload a photo.",
        "第一次上传照片时会把权重（14 MB）下载到 `{folder}`。",
    ),
    "predict.photos_upload": ("Photos", "照片"),
    "predict.photos_loading": ("Loading MobileNetV2…", "正在加载 MobileNetV2……"),
}
