// CNN Lab's drawing canvas, a Streamlit custom component (st.components.v2): no build step, no network.
//
// Draws white strokes on black with the mouse, a pen or a finger (pointer events) and sends the canvas to
// Python as a PNG data URL in the state value "drawing" = {png, final, strokes}:
//   - while a stroke goes on, at most every THROTTLE_MS (final: false): the page updates the prediction;
//   - once when the pointer is lifted, and after Undo or Clear (final: true): the page adds Grad-CAM etc.
// Strokes are kept as points in canvas units (0..1) and the whole canvas is redrawn from them on every change,
// so the same strokes always give the same pixels (after an Undo, exactly what was sent before).
// Python passes `data` = {size, brush: {min, max, value}, labels: {canvas, brush, brush_help, undo, clear}}.

const THROTTLE_MS = 250;

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  const root = parentElement.querySelector(".cnnlab-draw");
  if (!root) return undefined;
  const canvas = root.querySelector("canvas");
  const ctx = canvas.getContext("2d");
  const brush = root.querySelector("input[type=range]");
  const brushValue = root.querySelector(".cnnlab-brush-value");
  const undo = root.querySelector(".cnnlab-undo");
  const clear = root.querySelector(".cnnlab-clear");
  const size = Math.max(16, Math.round(data.size));

  // Kept on the element: Streamlit calls this function again when `data` changes, on the same canvas.
  const kept = (canvas.cnnlab ??= { strokes: [], brush: data.brush.value });

  canvas.setAttribute("aria-label", data.labels.canvas);
  root.querySelector(".cnnlab-brush-label").textContent = data.labels.brush;
  root.querySelector(".cnnlab-brush").title = data.labels.brush_help;
  undo.textContent = data.labels.undo;
  clear.textContent = data.labels.clear;
  brush.min = data.brush.min;
  brush.max = data.brush.max;
  brush.value = kept.brush;
  brushValue.textContent = brush.value;
  if (canvas.width !== size || canvas.height !== size) {
    canvas.width = size;
    canvas.height = size;
  }
  canvas.style.width = `${size}px`;

  function render() {
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, size, size);
    ctx.strokeStyle = "#fff";
    ctx.fillStyle = "#fff";
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    for (const { width, points } of kept.strokes) {
      const w = width * size;
      if (points.length === 1) {
        ctx.beginPath();
        ctx.arc(points[0][0] * size, points[0][1] * size, w / 2, 0, 2 * Math.PI);
        ctx.fill();
        continue;
      }
      ctx.lineWidth = w;
      ctx.beginPath();
      ctx.moveTo(points[0][0] * size, points[0][1] * size);
      for (const [x, y] of points.slice(1)) ctx.lineTo(x * size, y * size);
      ctx.stroke();
    }
    undo.disabled = clear.disabled = kept.strokes.length === 0;
  }

  let current = null; // the stroke being drawn
  let timer = null;
  let lastSent = 0;

  function send(final) {
    clearTimeout(timer);
    timer = null;
    lastSent = performance.now();
    const png = kept.strokes.length ? canvas.toDataURL("image/png") : null;
    setStateValue("drawing", { png, final, strokes: kept.strokes.length });
  }

  function sendSoon() {
    if (timer !== null) return;
    const wait = Math.max(0, THROTTLE_MS - (performance.now() - lastSent));
    timer = setTimeout(() => {
      timer = null;
      if (current) send(false);
    }, wait);
  }

  function at(event) {
    const box = canvas.getBoundingClientRect();
    const x = (event.clientX - box.left) / box.width;
    const y = (event.clientY - box.top) / box.height;
    return [Math.min(Math.max(x, 0), 1), Math.min(Math.max(y, 0), 1)];
  }

  const controller = new AbortController();
  const on = (element, type, handler) => element.addEventListener(type, handler, { signal: controller.signal });

  on(canvas, "pointerdown", (event) => {
    if (event.pointerType === "mouse" && event.button !== 0) return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    current = { width: kept.brush / size, points: [at(event)] };
    kept.strokes.push(current);
    render();
    lastSent = performance.now(); // the first update comes a little into the stroke, not for its first dot
    sendSoon();
  });
  on(canvas, "pointermove", (event) => {
    if (!current) return;
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    for (const e of events.length ? events : [event]) current.points.push(at(e));
    render();
    sendSoon();
  });
  const end = () => {
    if (!current) return;
    current = null;
    send(true);
  };
  on(canvas, "pointerup", end);
  on(canvas, "pointercancel", end);
  on(brush, "input", () => {
    kept.brush = Number(brush.value);
    brushValue.textContent = brush.value;
  });
  on(undo, "click", () => {
    kept.strokes.pop();
    render();
    send(true);
  });
  on(clear, "click", () => {
    kept.strokes = [];
    render();
    send(true);
  });

  render();
  return () => {
    controller.abort();
    clearTimeout(timer);
  };
}
