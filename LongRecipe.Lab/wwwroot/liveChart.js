// A live chart's appends and redraws, on the plotly.js the page has loaded (PlotlyScript).
//
// plotly.js's extendTraces redraws the whole figure: defaults, axes, tick labels, legend and margins are most of
// its cost, and a dashboard appends to five charts 2.5 times a second. Points that land inside the axes as drawn
// need only their lines redrawn, which an animation frame without a redraw does. While a chart follows the run
// (the user has not zoomed it), its x axis gets a quarter of headroom past the newest point, so that appends mostly
// land inside; one that does not, or a chart the user has zoomed, is redrawn whole as before.
//
// Points are appended to the traces' own arrays, in place, and the frames carry no data: a frame drawn late (plotly
// runs them on a later tick) draws what the chart holds then, never an older copy.

const headroom = 0.25;

/** Appends x[k], y[k] to trace indices[k] of chart `id`; a null value is a gap. */
export function extend(id, update, indices) {
    const gd = document.getElementById(id);
    if (!gd?._fullLayout || !indices.every(trace => Array.isArray(gd.data[trace]?.x) && Array.isArray(gd.data[trace]?.y))) {
        Plotly.extendTraces(id, update, indices);
        return;
    }
    const inside = indices.every((trace, k) => insideAxes(gd, gd._fullData[trace], update.x[k], update.y[k]));
    indices.forEach((trace, k) => {
        gd.data[trace].x.push(...update.x[k]);
        gd.data[trace].y.push(...update.y[k]);
    });
    if (inside) {
        Plotly.animate(gd, { data: indices.map(() => ({})), traces: indices },
            { mode: 'immediate', transition: { duration: 0 }, frame: { duration: 0, redraw: false } });
        return;
    }
    if (followsRun(gd)) leaveHeadroom(gd);
    Plotly.redraw(gd);
}

/**
 * Replaces the points of traces indices[k] with x[k], y[k] and sets their mode[k] (a redraw of reduced lines, or of a
 * figure drawn anew); the axes stay as they are, so a chart drawn anew for a run that has ended has none of the headroom.
 */
export function replace(id, lines, indices, modes) {
    const gd = document.getElementById(id);
    if (!gd?.data) return;
    indices.forEach((trace, k) => {
        gd.data[trace].x = lines.x[k];
        gd.data[trace].y = lines.y[k];
        gd.data[trace].mode = modes[k];
    });
    Plotly.redraw(gd);
}

// Whether every point falls inside the trace's axes as they are drawn now (only linear and log axes, and only a
// visible scatter trace, are drawn by the light path).
function insideAxes(gd, trace, xs, ys) {
    if (trace?.type !== 'scatter' || trace.visible !== true) return false;
    const xa = gd._fullLayout[axisKey(trace.xaxis)], ya = gd._fullLayout[axisKey(trace.yaxis)];
    return xs.every(v => inside(xa, v)) && ys.every(v => inside(ya, v));
}

function inside(axis, value) {
    if (value === null) return true;
    if (axis?.type !== 'linear' && axis?.type !== 'log') return false;
    const pixel = axis.l2p(axis.d2l(value));
    return pixel >= 0 && pixel <= axis._length;
}

// 'x2' → 'xaxis2', as plotly.js names a trace's axes in the layout.
const axisKey = id => `${id.charAt(0)}axis${id.slice(1)}`;

// The user has not zoomed or panned the x axis: it is autoranged, or still at the range set here last.
function followsRun(gd) {
    const axis = gd.layout.xaxis;
    if (!axis || axis.autorange !== false) return true;
    const set = gd._liveRange;
    return Array.isArray(axis.range) && set !== undefined && axis.range[0] === set[0] && axis.range[1] === set[1];
}

// Sets a linear x axis to the traces' extent plus the headroom; the y axes keep autoranging.
function leaveHeadroom(gd) {
    if (gd._fullLayout.xaxis?.type !== 'linear') return;
    let low = Infinity, high = -Infinity;
    for (const trace of gd.data) {
        if ((trace.xaxis ?? 'x') !== 'x' || !Array.isArray(trace.x)) continue;
        for (const v of trace.x) {
            if (v === null || !Number.isFinite(v)) continue;
            if (v < low) low = v;
            if (v > high) high = v;
        }
    }
    if (!(high > low)) return;
    gd._liveRange = [low, high + headroom * (high - low)];
    Object.assign(gd.layout.xaxis ??= {}, { autorange: false, range: [...gd._liveRange] });
}
