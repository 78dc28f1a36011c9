// The Lab's one bridge to plotly.js (the global Plotly from lib/plotly/plotly.min.js).
// Every function resolves to nothing: Plotly's promises carry its DOM element, which Blazor
// would try to serialise back to .NET.

const config = { responsive: true, displaylogo: false };

export async function newPlot(element, figure) {
    await Plotly.newPlot(element, figure.data, figure.layout, config);
}

export async function react(element, figure) {
    await Plotly.react(element, figure.data, figure.layout, config);
}

// update = { x: [[...], ...], y: [[...], ...] }, one inner array per trace in indices;
// maxPoints keeps each trace to its last maxPoints points (0: keep all).
export async function extendTraces(element, update, indices, maxPoints) {
    if (maxPoints > 0) await Plotly.extendTraces(element, update, indices, maxPoints);
    else await Plotly.extendTraces(element, update, indices);
}

export function purge(element) {
    Plotly.purge(element);
}
