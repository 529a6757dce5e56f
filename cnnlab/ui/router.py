"""Every page runs inside app.py's router; `guard()` (the first call of every page script) puts it there.

Why this exists. Streamlit still supports its first multipage design, a `pages/` folder next to the main
script. `PagesManager.uses_pages_directory` (streamlit/runtime/pages_manager.py) is a process-wide flag, set
to True when the first session of a server finds that folder, and set to False only by `st.navigation`.
A script run that STARTS while it is True does not execute app.py: the script runner (`_mpa_v1` in
streamlit/runtime/scriptrunner/script_runner.py) builds its own navigation from the folder and runs the
requested page script directly: no router, no sidebar, no page config. Our page scripts must live in a folder
named `pages/`, so on a freshly started server every visitor whose first run began before any session had
reached app.py's `st.navigation` got such a bare page (with 5-30 browsers opening /predict together, many
did). Streamlit (1.67) has no setting or API to turn the folder mode off (its advice is to rename the folder;
`client.showSidebarNavigation` only hides the legacy menu), so the fix lives here, in one place.

What it does. Per script run (never a process-wide "done once" flag, which only rescued the first visitor),
a page asks whether app.py is on its call stack. If it is not, but app.py is this server's main script, the
run was started by the folder mode: clear the flag (as `st.navigation` does) and execute app.py right here,
in this same run; its router runs the requested page (same URL path, same widget values), and finds app.py
on the stack this time. The rest of the direct run is then skipped (StopException, as st.stop()). Every
concurrent visitor does this in its own run, so none is left without the router.

Why in place rather than st.rerun(): a rerun drops the run's one-shot widget events (a button or form submit
is reset at the end of every run), and AppTest starts EVERY run in the folder mode (it resets the flag), so
a test's click would be lost; in place, nothing is lost and there is no extra round trip at cold start.
A page run under another main script (`streamlit run pages/x.py`, AppTest of a page file) has no router to
go to and is left alone. When app.py itself was started by the folder mode (a first visit to "/"), it calls
`st.navigation` before any page, so its pages find it on the stack and nothing more happens.
"""

from __future__ import annotations

import os
import sys
import types

APP = "app.py"  # the router, next to pages/


def guard() -> None:
    """Call first in every page script: when the page was started without app.py's router, run the router
    (which draws this same page) and end the direct run."""
    from streamlit.runtime.scriptrunner_utils.exceptions import StopException
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    main = getattr(ctx, "main_script_path", None) if ctx is not None else None
    if not main or os.path.basename(main) != APP or _on_stack(main):
        return
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False  # what st.navigation does: later runs execute app.py themselves
    _run_router(main)
    raise StopException  # the router drew the page; the direct run ends here


def _run_router(main: str) -> None:
    """Execute app.py the way Streamlit runs a main script (its own `__main__` namespace)."""
    with open(main, "rb") as f:
        code = compile(f.read(), main, "exec", dont_inherit=True)
    module = types.ModuleType("__main__")
    module.__dict__["__file__"] = main
    exec(code, module.__dict__)


def _on_stack(main: str) -> bool:
    """Whether `main` is executing further up this thread's stack (compiled code names its source file)."""
    names = {main, os.path.realpath(main)}
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        if name in names or (os.path.basename(name) == APP and os.path.realpath(name) in names):
            return True
        frame = frame.f_back
    return False
