window.cx.boot();
