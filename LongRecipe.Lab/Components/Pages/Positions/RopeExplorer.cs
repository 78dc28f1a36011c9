using System.Globalization;
using LongRecipe.Engine.Model;
using LongRecipe.Lab.Components.Charts;
using LongRecipe.Lab.Components.Shared;

namespace LongRecipe.Lab.Components.Pages.Positions;

/// <summary>
/// The RoPE form: head dimension, θ, the original window L and the extension factor s (target
/// window s·L), plus LongRoPE's searched per-pair factors as text (d/2 comma-separated numbers;
/// empty leaves LongRoPE out until a search or a model supplies them).
/// </summary>
public sealed record RopeRequest(int HeadDim, double Theta, long OriginalContext, double Factor, string LongFactors = "")
{
    public long TargetContext => (long)Math.Round(OriginalContext * Factor);

    /// <summary>The first problem, naming the field, or null.</summary>
    public string? Problem() => Problems().FirstOrDefault()?.Message;

    /// <summary>Every problem at its field (HeadDim, Theta, OriginalContext, Factor, LongFactors): nothing is clamped, a bad value is named.</summary>
    public IReadOnlyList<FieldProblem> Problems()
    {
        var problems = new List<FieldProblem>();
        void Check(bool ok, string field, string message)
        {
            if (!ok) problems.Add(new FieldProblem(field, message));
        }
        Check(HeadDim is >= 4 and <= 1024 && HeadDim % 2 == 0, nameof(HeadDim), $"Head dimension must be even, in [4, 1024], got {HeadDim}.");
        Check(Theta > 1, nameof(Theta), $"θ must exceed 1, got {Theta}.");
        Check(OriginalContext >= 16, nameof(OriginalContext), $"Original context must be at least 16 tokens, got {OriginalContext}.");
        Check(Factor >= 1 && Factor <= 1024, nameof(Factor), $"Factor must be in [1, 1024], got {Factor}.");
        if (problems.Count == 0 && ParseLongFactors(out _) is { } factors) problems.Add(new FieldProblem(nameof(LongFactors), factors));
        return problems;
    }

    /// <summary>Null and the factors, or the problem with the text.</summary>
    public string? ParseLongFactors(out double[]? factors)
    {
        factors = null;
        if (string.IsNullOrWhiteSpace(LongFactors)) return null;
        var parts = LongFactors.Split([',', ' ', '\n', '\t', '[', ']'], StringSplitOptions.RemoveEmptyEntries);
        var values = new double[parts.Length];
        for (var i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !(values[i] > 0))
                return $"LongRoPE factor {i + 1} ('{parts[i]}') is not a positive number.";
        if (values.Length != HeadDim / 2) return $"LongRoPE needs d/2 = {HeadDim / 2} factors, got {values.Length}.";
        factors = values;
        return null;
    }
}

public sealed record RopeView(ChartFigure ScaleFactors, ChartFigure Wavelengths);

/// <summary>
/// Per rotating pair i: the factor θ_i(default)/θ_i(scaled) by which each method interpolates it, and
/// its wavelength 2π/θ_i beside the original and target windows, from the engine's Rope formulas.
/// NTK is NTK-aware scaling, θ′ = θ·s^(d/(d−2)): transformers' dynamic variant with factor 1 at
/// sequence length s·L (with factor s it would grow θ as if the window were s² longer); YaRN and Llama-3 use transformers' defaults
/// (β_fast 32, β_slow 1; low/high frequency factors 1 and 4).
/// </summary>
public static class RopeExplorer
{
    public static RopeView Build(RopeRequest request)
    {
        if (request.Problem() is { } problem) throw new ArgumentException(problem);
        request.ParseLongFactors(out var longFactors);
        var plain = new RopeScaling { Theta = request.Theta };
        var methods = Methods(request, longFactors).ToList();
        var pairs = Enumerable.Range(0, request.HeadDim / 2).Select(i => (double)i).ToArray();

        var factors = methods.Select(m => new ChartTrace(m.Name,
            pairs, Rope.ScaleFactors(m.Rope, request.HeadDim, m.MaxPositions, m.SequenceLength)) { Color = m.Color }).ToList();

        var wavelengths = new List<ChartTrace>
        {
            new("No scaling", pairs, Rope.Wavelengths(Rope.Compute(plain, request.HeadDim, request.OriginalContext).InverseFrequencies))
                { Color = "#9e9e9e" },
        };
        wavelengths.AddRange(methods.Select(m => new ChartTrace(m.Name, pairs,
            Rope.Wavelengths(Rope.Compute(m.Rope, request.HeadDim, m.MaxPositions, m.SequenceLength).InverseFrequencies)) { Color = m.Color }));
        double[] ends = [0, pairs[^1]];
        wavelengths.Add(new ChartTrace($"Original window {request.OriginalContext}", ends, [request.OriginalContext, request.OriginalContext]) { Color = "#212121", Dash = "dot" });
        wavelengths.Add(new ChartTrace($"Target window {request.TargetContext}", ends, [request.TargetContext, request.TargetContext]) { Color = "#212121", Dash = "dash" });

        return new RopeView(
            new ChartFigure(factors, new ChartAxis("rotary pair i"), new ChartAxis("scale factor θᵢ / θᵢ′")) { Title = $"Per-pair interpolation factor (s = {request.Factor:g})" },
            new ChartFigure(wavelengths, new ChartAxis("rotary pair i"), new ChartAxis("wavelength 2π/θᵢ (tokens)", Log: true)) { Title = "Wavelengths against the windows" });
    }

    private sealed record Method(string Name, string Color, RopeScaling Rope, long MaxPositions, long? SequenceLength);

    private static IEnumerable<Method> Methods(RopeRequest r, double[]? longFactors)
    {
        var target = r.TargetContext;
        yield return new("PI (linear)", "#1e88e5", new RopeScaling { Type = RopeType.Linear, Theta = r.Theta, Factor = r.Factor }, r.OriginalContext, null);
        yield return new("NTK-aware", "#8e24aa", new RopeScaling { Type = RopeType.Dynamic, Theta = r.Theta, Factor = 1 }, r.OriginalContext, target);
        yield return new("YaRN", "#f4511e",
            new RopeScaling { Type = RopeType.Yarn, Theta = r.Theta, Factor = r.Factor, OriginalMaxPositionEmbeddings = r.OriginalContext }, target, null);
        yield return new("Llama-3", "#43a047",
            new RopeScaling { Type = RopeType.Llama3, Theta = r.Theta, Factor = r.Factor, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositionEmbeddings = r.OriginalContext },
            target, null);
        if (longFactors is not null)
            yield return new("LongRoPE", "#00897b",
                new RopeScaling
                {
                    Type = RopeType.LongRope, Theta = r.Theta, Factor = r.Factor, OriginalMaxPositionEmbeddings = r.OriginalContext,
                    LongFactor = longFactors, ShortFactor = Enumerable.Repeat(1.0, longFactors.Length).ToArray(),
                },
                target, target);
    }
}
