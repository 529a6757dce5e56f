"""Engine errors about shared links (cnnlab/train/setup_link.py): a setup or spec in the URL that cannot be read.

Each key -> (English, 简体中文). Shown as one warning on the page; the rest of the page works as usual.
"""

STRINGS = {
    "engine.link.malformed": (
        "The link's {param} part is damaged (perhaps cut off when it was copied), so it was ignored.",
        "链接中的 {param} 部分已损坏（可能复制时被截断），已忽略。",
    ),
    "engine.link.too_long": (
        "The link's {param} part is {length:,} characters long, more than the {limit:,} a link may carry; "
        "it was ignored.",
        "链接中的 {param} 部分有 {length:,} 个字符，超过了链接允许的 {limit:,} 个，已忽略。",
    ),
    "engine.link.too_big": (
        "The link's {param} part unpacks to more than {limit} KB, more than any setup needs; it was ignored.",
        "链接中的 {param} 部分解压后超过 {limit} 千字节，远超任何设置所需，已忽略。",
    ),
    "engine.link.unknown_arch": (
        "The link names an architecture {name!r} this version does not know (it knows {names}); it was ignored.",
        "链接中的网络结构 {name!r} 在此版本中不存在（可用的有：{names}），已忽略。",
    ),
    "engine.link.bad_spec": (
        "The architecture in the link cannot be used: {reason}. It was ignored.",
        "链接中的网络结构无法使用：{reason}。已忽略。",
    ),
    "engine.link.bad_value": (
        "The link sets {setting} to {value}, which the Train form cannot take; the link's settings were ignored.",
        "链接把 {setting} 设为 {value}，训练表单不接受这个值；已忽略链接中的设置。",
    ),
    "engine.link.out_of_range": (
        "The link sets {setting} to {value}, outside the Train form's range {low} to {high}; "
        "the link's settings were ignored.",
        "链接把 {setting} 设为 {value}，超出了训练表单的范围 {low} 到 {high}；已忽略链接中的设置。",
    ),
}
