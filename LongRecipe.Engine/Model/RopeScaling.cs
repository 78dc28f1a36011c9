namespace LongRecipe.Engine.Model;

/// <summary>How RoPE frequencies are rescaled to reach past the pretraining window (transformers' rope_type).</summary>
public enum RopeType
{
    /// <summary>"default": plain RoPE (Su et al.).</summary>
    Default,
    /// <summary>"linear": position interpolation, every frequency divided by the factor.</summary>
    Linear,
    /// <summary>"dynamic": NTK-aware base growth with the current sequence length.</summary>
    Dynamic,
    /// <summary>"yarn": NTK-by-parts interpolation plus an attention temperature (Peng et al.).</summary>
    Yarn,
    /// <summary>"llama3": Llama 3.1's wavelength-banded interpolation.</summary>
    Llama3,
    /// <summary>"longrope": searched per-dimension factors, short and long sets (Ding et al.).</summary>
    LongRope,
}

public static class RopeTypeNames
{
    /// <summary>The rope_type string transformers uses, e.g. "llama3".</summary>
    public static string Name(this RopeType type) => type switch
    {
        RopeType.Default => "default",
        RopeType.Linear => "linear",
        RopeType.Dynamic => "dynamic",
        RopeType.Yarn => "yarn",
        RopeType.Llama3 => "llama3",
        RopeType.LongRope => "longrope",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown rope type"),
    };

    public static bool TryParse(string name, out RopeType type)
    {
        foreach (var candidate in Enum.GetValues<RopeType>())
            if (candidate.Name() == name)
            {
                type = candidate;
                return true;
            }
        type = default;
        return false;
    }
}

/// <summary>
/// The RoPE settings of a model: transformers' <c>rope_parameters</c> dict, field for field.
/// Which fields matter depends on <see cref="Type"/>; the others stay null. Formulas live in
/// <see cref="Rope"/>. Settings read from a config.json arrive resolved: llama3, yarn and longrope
/// always carry <see cref="OriginalMaxPositionEmbeddings"/>.
/// </summary>
public sealed record RopeScaling
{
    public RopeType Type { get; init; } = RopeType.Default;

    /// <summary>Base θ of the frequencies, e.g. 10000 (Llama 2), 500000 (Llama 3), 1000000 (Qwen2).</summary>
    public double Theta { get; init; } = 10_000;

    /// <summary>Fraction of each head's dimensions that rotate; the rest pass through. 1 for the Llama family.</summary>
    public double PartialRotaryFactor { get; init; } = 1.0;

    /// <summary>Context extension factor s (all types but default). Yarn and longrope derive it when absent.</summary>
    public double? Factor { get; init; }

    /// <summary>The pretraining window L (llama3, yarn, longrope), e.g. 8192 for Llama 3.1.</summary>
    public long? OriginalMaxPositionEmbeddings { get; init; }

    /// <summary>Yarn and longrope: the cos/sin multiplier, overriding the one derived from the factor.</summary>
    public double? AttentionFactor { get; init; }

    /// <summary>Yarn: rotations at which the ramp starts extrapolating (default 32).</summary>
    public double? BetaFast { get; init; }

    /// <summary>Yarn: rotations below which dimensions are fully interpolated (default 1).</summary>
    public double? BetaSlow { get; init; }

    /// <summary>Yarn's (beta_fast, beta_slow) as computed with: transformers reads them with `or`, so 0 also takes the default.</summary>
    internal (double Fast, double Slow) YarnBetas => (BetaFast is { } fast && fast != 0 ? fast : 32, BetaSlow is { } slow && slow != 0 ? slow : 1);

    /// <summary>Yarn (DeepSeek-style): numerator multiplier of the attention factor.</summary>
    public double? Mscale { get; init; }

    /// <summary>Yarn (DeepSeek-style): denominator multiplier of the attention factor.</summary>
    public double? MscaleAllDim { get; init; }

    /// <summary>Yarn: round the ramp's ends outward to whole dimensions (default true).</summary>
    public bool? Truncate { get; init; }

    /// <summary>Llama3: wavelengths above L / low_freq_factor are fully interpolated (1 in Llama 3.1).</summary>
    public double? LowFreqFactor { get; init; }

    /// <summary>Llama3: wavelengths below L / high_freq_factor are kept (4 in Llama 3.1).</summary>
    public double? HighFreqFactor { get; init; }

    /// <summary>Longrope: per-frequency divisors used within the original window (rotary_dim / 2 of them).</summary>
    public IReadOnlyList<double>? ShortFactor { get; init; }

    /// <summary>Longrope: per-frequency divisors used beyond the original window (rotary_dim / 2 of them).</summary>
    public IReadOnlyList<double>? LongFactor { get; init; }

    /// <summary>
    /// Longrope: LongRoPE's n̂, the initial positions left unscaled (config key <c>initial_unscaled_tokens</c>,
    /// written only when above 0). Positions below it rotate as the original model's RoPE does, e.g. 4 keeps
    /// positions 0–3 exact. transformers' longrope has no such field: it reads only n̂ = 0 exactly.
    /// </summary>
    public long InitialUnscaledTokens { get; init; }

    /// <summary>
    /// Why transformers would rotate differently from the engine under these settings, naming the field under
    /// <paramref name="section"/>; null when it computes the same. Only LongRoPE's n̂ &gt; 0 differs: transformers'
    /// longrope has no such field, ignores the key and would rescale the first positions too.
    /// </summary>
    public string? TransformersProblem(string section = "rope_scaling") =>
        InitialUnscaledTokens > 0
            ? $"{section}.initial_unscaled_tokens = {InitialUnscaledTokens} (LongRoPE's n̂) cannot be exported for transformers: "
              + $"its longrope has no such field and would rescale positions 0–{InitialUnscaledTokens - 1} as well; "
              + "search with n̂ = 0 (rope-search --unscaled-tokens 0, or \"unscaled_tokens\": [0] in a search stage) for a transformers model"
            : null;

    /// <summary>Whether the type reads <see cref="OriginalMaxPositionEmbeddings"/> (transformers fills it for these).</summary>
    public bool UsesOriginalWindow => Type is RopeType.Llama3 or RopeType.Yarn or RopeType.LongRope;

    // Records compare lists by reference; settings read twice from one file must compare equal.
    public bool Equals(RopeScaling? other) =>
        other is not null
        && Type == other.Type && Theta.Equals(other.Theta) && PartialRotaryFactor.Equals(other.PartialRotaryFactor)
        && Factor.Equals(other.Factor) && OriginalMaxPositionEmbeddings == other.OriginalMaxPositionEmbeddings
        && AttentionFactor.Equals(other.AttentionFactor) && BetaFast.Equals(other.BetaFast) && BetaSlow.Equals(other.BetaSlow)
        && Mscale.Equals(other.Mscale) && MscaleAllDim.Equals(other.MscaleAllDim) && Truncate == other.Truncate
        && LowFreqFactor.Equals(other.LowFreqFactor) && HighFreqFactor.Equals(other.HighFreqFactor)
        && SameValues(ShortFactor, other.ShortFactor) && SameValues(LongFactor, other.LongFactor)
        && InitialUnscaledTokens == other.InitialUnscaledTokens;

    public override int GetHashCode() => HashCode.Combine(Type, Theta, Factor, OriginalMaxPositionEmbeddings);

    private static bool SameValues(IReadOnlyList<double>? a, IReadOnlyList<double>? b) =>
        a is null || b is null ? a is null && b is null : a.SequenceEqual(b);

    /// <summary>
    /// The rescaling on top of a model's RoPE: these settings with <paramref name="model"/>'s θ and rotary fraction,
    /// which a rescaling leaves as they are (a run spec's rope_scaling, the command line's --rope-scaling).
    /// </summary>
    public RopeScaling Over(RopeScaling model) => this with { Theta = model.Theta, PartialRotaryFactor = model.PartialRotaryFactor };

    /// <summary>The rope_scaling fields that say how a rescaling goes (θ and the rotary fraction are the model's).</summary>
    public static IReadOnlyList<string> ScalingFields { get; } =
    [
        "rope_type", "type", "factor", "original_max_position_embeddings", "attention_factor", "beta_fast", "beta_slow", "mscale",
        "mscale_all_dim", "truncate", "low_freq_factor", "high_freq_factor", "short_factor", "long_factor", "initial_unscaled_tokens",
    ];

    /// <summary>
    /// The keys transformers reads in a RoPE object of <paramref name="type"/>, and warns "Unrecognized keys" of any other:
    /// rope_type (or its legacy alias type), rope_theta and partial_rotary_factor in every type, then the type's own, as
    /// transformers 4.x or 5 takes them (4.x's dynamic also takes original_max_position_embeddings); longrope also takes
    /// this engine's initial_unscaled_tokens (LongRoPE's n̂).
    /// </summary>
    public static IReadOnlyList<string> Keys(RopeType type) => type switch
    {
        RopeType.Default => EveryTypesKeys,
        RopeType.Linear => [.. EveryTypesKeys, "factor"],
        RopeType.Dynamic => [.. EveryTypesKeys, "factor", "original_max_position_embeddings"],
        RopeType.Yarn => [.. EveryTypesKeys, "factor", "original_max_position_embeddings", "attention_factor", "beta_fast", "beta_slow", "mscale",
            "mscale_all_dim", "truncate"],
        RopeType.Llama3 => [.. EveryTypesKeys, "factor", "original_max_position_embeddings", "low_freq_factor", "high_freq_factor"],
        RopeType.LongRope => [.. EveryTypesKeys, "short_factor", "long_factor", "factor", "attention_factor", "original_max_position_embeddings",
            "initial_unscaled_tokens"],
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown rope type"),
    };

    private static readonly string[] EveryTypesKeys = ["rope_type", "type", "rope_theta", "partial_rotary_factor"];

    /// <summary>
    /// Everything wrong with these settings that does not depend on the model's head size, each at its field
    /// (named as config.json names it under rope_scaling or rope_parameters); empty when there is nothing.
    /// The one rule set for config.json, the command line's --rope-scaling and a run spec's rope_scaling.
    /// </summary>
    public IReadOnlyList<RopeProblem> Problems()
    {
        var problems = new List<RopeProblem>();
        void Check(bool ok, string field, string message)
        {
            if (!ok) problems.Add(new RopeProblem(field, message));
        }
        var type = Type.Name();
        Check(Theta > 0 && !double.IsInfinity(Theta), "rope_theta", $"({Theta}) must be a positive number");
        Check(PartialRotaryFactor is > 0 and <= 1, "partial_rotary_factor", $"({PartialRotaryFactor}) must lie in (0, 1]");
        Check(Factor is null or >= 1, "factor", $"must be ≥ 1, got {Factor}");
        Check(Factor is not { } factor || double.IsFinite(factor), "factor", $"must be a finite number, got {Factor}");
        Check(Factor is not null || Type is not (RopeType.Linear or RopeType.Dynamic or RopeType.Llama3 or RopeType.Yarn), "factor", $"is required for rope_type '{type}'");
        // YaRN interpolates the dimensions between the two rotation counts: beta_fast (32 when unset) must be the larger.
        Check(Type != RopeType.Yarn || YarnBetas.Fast > YarnBetas.Slow, "beta_fast", $"({YarnBetas.Fast}) must exceed beta_slow ({YarnBetas.Slow})");
        Check(OriginalMaxPositionEmbeddings is null or > 0 and <= int.MaxValue, "original_max_position_embeddings",
            $"must lie in [1, {int.MaxValue}], got {OriginalMaxPositionEmbeddings}");
        Check(AttentionFactor is null or >= 0, "attention_factor", $"must not be negative, got {AttentionFactor}");
        Check(AttentionFactor is not { } attention || double.IsFinite(attention), "attention_factor", $"must be a finite number, got {AttentionFactor}");
        foreach (var (name, value) in new[] { ("low_freq_factor", LowFreqFactor), ("high_freq_factor", HighFreqFactor) })
        {
            Check(Type == RopeType.Llama3 || value is null, name, "is read by llama3 only");
            Check(Type != RopeType.Llama3 || value is not null, name, "is required for rope_type 'llama3'");
            Check(value is null || double.IsFinite(value.Value), name, $"must be a finite number, got {value}");
        }
        Check(Type != RopeType.Llama3 || LowFreqFactor is null || HighFreqFactor is null || HighFreqFactor > LowFreqFactor && LowFreqFactor > 0,
            "high_freq_factor", $"({HighFreqFactor}) must exceed low_freq_factor ({LowFreqFactor}), which must be positive");
        foreach (var (name, list) in new[] { ("short_factor", ShortFactor), ("long_factor", LongFactor) })
        {
            Check(Type == RopeType.LongRope || list is null, name, "is read by longrope only");
            Check(Type != RopeType.LongRope || list is not null, name, "is required for rope_type 'longrope'");
            Check(list is null || list.All(x => x > 0 && !double.IsInfinity(x)), name, "values must be positive numbers");
        }
        Check(ShortFactor is null || LongFactor is null || ShortFactor.Count == LongFactor.Count, "short_factor",
            $"has {ShortFactor?.Count} entries, long_factor {LongFactor?.Count}");
        Check(InitialUnscaledTokens >= 0, "initial_unscaled_tokens", $"({InitialUnscaledTokens}) must not be negative");
        Check(InitialUnscaledTokens <= 0 || Type == RopeType.LongRope, "initial_unscaled_tokens", "is LongRoPE's n̂, read by rope_type 'longrope' only");
        return problems;
    }

    /// <summary>
    /// The first problem with these settings for heads of <paramref name="headDim"/>, naming the
    /// config.json field under <paramref name="section"/> (rope_parameters or rope_scaling); null when valid.
    /// </summary>
    internal string? Problem(string section, int headDim)
    {
        if (Problems() is [var first, ..]) return $"{section}.{first}";
        var rotaryDim = Rope.RotaryDim(this, headDim);
        if (rotaryDim < 2 || rotaryDim % 2 != 0)
            return $"the rotary dimension head_dim × partial_rotary_factor = {rotaryDim} must be even and at least 2";
        foreach (var (name, list) in new[] { ("short_factor", ShortFactor), ("long_factor", LongFactor) })
            if (list is not null && list.Count != rotaryDim / 2)
                return $"{section}.{name} has {list.Count} values; it needs rotary_dim / 2 = {rotaryDim / 2}";
        return null;
    }
}

/// <summary>One thing wrong with RoPE settings: the field (e.g. factor) and what is wrong with it.</summary>
public sealed record RopeProblem(string Field, string Message)
{
    public override string ToString() => $"{Field} {Message}";
}

/// <summary>
/// Inverse frequencies θ_i (one per rotating pair, rotary_dim / 2 of them) and the cos/sin multiplier.
/// LongRoPE's n̂ adds a second set: positions below <see cref="InitialUnscaledTokens"/> rotate by
/// <see cref="OriginalInverseFrequencies"/> (the plain RoPE's) at multiplier 1, as in the original model.
/// </summary>
public sealed record RopeFrequencies(float[] InverseFrequencies, double AttentionScaling)
{
    /// <summary>n̂; 0 (every type but a longrope with n̂ set) rotates every position by <see cref="InverseFrequencies"/>.</summary>
    public long InitialUnscaledTokens { get; init; }

    /// <summary>The plain RoPE's θ_i for positions below n̂; null when n̂ is 0.</summary>
    public float[]? OriginalInverseFrequencies { get; init; }
}

/// <summary>
/// RoPE inverse frequencies for every rope type, computed as transformers 5.x does: in float32,
/// operation by operation in its order (exponents 2i/d rounded to float32, θ rounded to float32,
/// x⁻¹ as a float32 reciprocal), so results agree with its inv_freq to about one float32 ulp
/// (torch's vectorized pow may differ from ours in the last bit). The scalar settings stay double,
/// as Python floats do, until they meet a tensor.
/// Notation: d = rotary dimension, i = 0 … d/2 − 1, s = factor, L = the original window.
/// </summary>
public static class Rope
{
    /// <summary>d = int(head_dim × partial_rotary_factor), truncated as Python's int() does.</summary>
    public static int RotaryDim(RopeScaling rope, int headDim) => (int)(headDim * rope.PartialRotaryFactor);

    /// <summary>
    /// The frequencies for a batch whose largest position id is <paramref name="sequenceLength"/> − 1
    /// (transformers' seq_len = max(position_ids) + 1, over the whole batch). Only dynamic and
    /// longrope read it; null means "within the original window", what transformers builds at load time.
    /// </summary>
    public static RopeFrequencies Compute(RopeScaling rope, int headDim, long maxPositionEmbeddings, long? sequenceLength = null)
    {
        var d = RotaryDim(rope, headDim);
        return rope.Type switch
        {
            RopeType.Default => new(Default(rope.Theta, d), 1.0),
            RopeType.Linear => new(Linear(rope, d), 1.0),
            RopeType.Dynamic => new(DynamicNtk(rope, d, maxPositionEmbeddings, sequenceLength), 1.0),
            RopeType.Yarn => Yarn(rope, d, maxPositionEmbeddings),
            RopeType.Llama3 => new(Llama3(rope, d, maxPositionEmbeddings), 1.0),
            RopeType.LongRope => LongRope(rope, d, maxPositionEmbeddings, sequenceLength),
            _ => throw new ArgumentOutOfRangeException(nameof(rope), rope.Type, "unknown rope type"),
        };
    }

    /// <summary>
    /// Per-dimension interpolation factors θ_i(default) / θ_i(scaled), for plotting: 1 where a
    /// dimension is untouched, s where it is fully interpolated.
    /// </summary>
    public static double[] ScaleFactors(RopeScaling rope, int headDim, long maxPositionEmbeddings, long? sequenceLength = null)
    {
        var plain = Default(rope.Theta, RotaryDim(rope, headDim));
        var scaled = Compute(rope, headDim, maxPositionEmbeddings, sequenceLength).InverseFrequencies;
        return plain.Select((p, i) => (double)p / scaled[i]).ToArray();
    }

    /// <summary>Wavelengths λ_i = 2π / θ_i in tokens: how far apart two positions must be for pair i to turn once.</summary>
    public static double[] Wavelengths(IReadOnlyList<float> inverseFrequencies) =>
        inverseFrequencies.Select(f => 2 * Math.PI / f).ToArray();

    // ---- one function per rope type ------------------------------------------

    /// <summary>default: θ_i = 1 / θ^(2i/d).</summary>
    private static float[] Default(double theta, int d)
    {
        var inv = new float[d / 2];
        for (var i = 0; i < inv.Length; i++) inv[i] = 1f / Power((float)theta, Exponent(i, d));
        return inv;
    }

    /// <summary>linear: θ_i = θ_i(default) / s — the same as dividing every position id by s.</summary>
    private static float[] Linear(RopeScaling rope, int d)
    {
        var inv = Default(rope.Theta, d);
        for (var i = 0; i < inv.Length; i++) inv[i] /= (float)rope.Factor!.Value;
        return inv;
    }

    /// <summary>
    /// dynamic (NTK-aware): with n = max(seq_len, max_position_embeddings) and M = max_position_embeddings,
    /// θ' = θ · (s·n/M − (s − 1))^(d/(d−2)) and θ_i = 1 / θ'^(2i/d). Within the window (n = M)
    /// it is the default RoPE exactly. Beyond it transformers computes θ' on a float32 tensor, so do we.
    /// </summary>
    private static float[] DynamicNtk(RopeScaling rope, int d, long maxPositions, long? sequenceLength)
    {
        if (sequenceLength is not { } n || n <= maxPositions) return Default(rope.Theta, d);
        var s = rope.Factor!.Value;
        var growth = (float)s * (float)n / (float)maxPositions - (float)(s - 1);
        // torch raises a one-element float32 tensor to a Python float with std::pow(float, double):
        // the exponent stays double here, unlike the tensor-to-tensor powers below.
        var theta = (float)rope.Theta * (float)Math.Pow(growth, d / (double)(d - 2));
        var inv = new float[d / 2];
        for (var i = 0; i < inv.Length; i++) inv[i] = 1f / Power(theta, Exponent(i, d));
        return inv;
    }

    /// <summary>
    /// yarn (NTK-by-parts): pair i turns L/λ_i times over the original window. Dimensions turning
    /// more than β_fast times keep θ_i (extrapolate), those turning fewer than β_slow times become
    /// θ_i / s (interpolate), and a linear ramp blends the two in between:
    ///   dim(r) = d · ln(L / (2π r)) / (2 ln θ),  lo = max(⌊dim(β_fast)⌋, 0),  hi = min(⌈dim(β_slow)⌉, d − 1)
    ///   γ_i = 1 − clamp((i − lo) / (hi − lo), 0, 1)
    ///   θ_i = (θ_i / s) · (1 − γ_i) + θ_i · γ_i
    /// (truncate = false skips the rounding of lo and hi). Attention scaling (mscale):
    ///   attention_factor if given, else m(s, mscale) / m(s, mscale_all_dim) when both are set,
    ///   else m(s) with m(s, k) = 0.1 · k · ln s + 1 for s > 1 and 1 otherwise.
    /// </summary>
    private static RopeFrequencies Yarn(RopeScaling rope, int d, long maxPositions)
    {
        var original = rope.OriginalMaxPositionEmbeddings ?? maxPositions;
        var s = rope.Factor!.Value;
        static double M(double scale, double k) => scale <= 1 ? 1.0 : 0.1 * k * Math.Log(scale) + 1.0;
        var attention = rope.AttentionFactor
            ?? (rope.Mscale is { } m && m != 0 && rope.MscaleAllDim is { } mad && mad != 0 ? M(s, m) / M(s, mad) : M(s, 1));

        var (betaFast, betaSlow) = rope.YarnBetas;
        double CorrectionDim(double rotations) => d * Math.Log(original / (rotations * 2 * Math.PI)) / (2 * Math.Log(rope.Theta));
        double lo = CorrectionDim(betaFast), hi = CorrectionDim(betaSlow);
        if (rope.Truncate ?? true) (lo, hi) = (Math.Floor(lo), Math.Ceiling(hi));
        (lo, hi) = (Math.Max(lo, 0), Math.Min(hi, d - 1));
        if (lo == hi) hi += 0.001; // transformers' guard against a zero-width ramp

        var inv = new float[d / 2];
        for (var i = 0; i < inv.Length; i++)
        {
            var ramp = Math.Clamp(((float)i - (float)lo) / (float)(hi - lo), 0f, 1f);
            var extrapolation = 1f - ramp;
            var power = Power((float)rope.Theta, Exponent(i, d));
            var kept = 1f / power;
            var interpolated = 1f / ((float)s * power);
            inv[i] = interpolated * (1f - extrapolation) + kept * extrapolation;
        }
        return new(inv, attention);
    }

    /// <summary>
    /// llama3: with wavelength λ_i = 2π / θ_i and bands set by L / low_freq_factor and L / high_freq_factor,
    ///   λ_i &lt; L / high  → θ_i (high frequencies kept)
    ///   λ_i &gt; L / low   → θ_i / s (low frequencies interpolated)
    ///   otherwise       → (1 − σ_i) θ_i / s + σ_i θ_i,  σ_i = (L / λ_i − low) / (high − low)
    /// </summary>
    private static float[] Llama3(RopeScaling rope, int d, long maxPositions)
    {
        var original = rope.OriginalMaxPositionEmbeddings ?? maxPositions;
        var s = rope.Factor!.Value;
        double low = rope.LowFreqFactor!.Value, high = rope.HighFreqFactor!.Value;
        // The band edges meet float32 wavelengths in tensor comparisons, so they compare as float32.
        float lowFreqWavelength = (float)(original / low), highFreqWavelength = (float)(original / high);

        var inv = Default(rope.Theta, d);
        for (var i = 0; i < inv.Length; i++)
        {
            // Python's `scalar / tensor` is reciprocal(tensor) · scalar.
            var wavelength = (1f / inv[i]) * (float)(2 * Math.PI);
            var scaled = wavelength > lowFreqWavelength ? inv[i] / (float)s : inv[i];
            var smooth = ((1f / wavelength) * (float)original - (float)low) / (float)(high - low);
            var smoothed = (1f - smooth) * scaled / (float)s + smooth * scaled;
            var medium = !(wavelength < highFreqWavelength) && !(wavelength > lowFreqWavelength);
            inv[i] = medium ? smoothed : scaled;
        }
        return inv;
    }

    /// <summary>
    /// longrope: θ_i = 1 / (f_i · θ^(2i/d)) with f = long_factor when seq_len &gt; L, else short_factor.
    /// Attention scaling: attention_factor if given, else √(1 + ln s / ln L) for s &gt; 1 (1 otherwise),
    /// s defaulting to max_position_embeddings / L (Phi-3's convention). With n̂ &gt; 0 (LongRoPE's
    /// initial unscaled tokens), positions p &lt; n̂ keep the default θ_i at multiplier 1, whichever factor
    /// set the others use — as the LongRoPE reference code pastes the original model's cos/sin over them.
    /// </summary>
    private static RopeFrequencies LongRope(RopeScaling rope, int d, long maxPositions, long? sequenceLength)
    {
        var original = rope.OriginalMaxPositionEmbeddings ?? maxPositions;
        var s = rope.Factor ?? (double)maxPositions / original;
        var attention = rope.AttentionFactor ?? (s <= 1 ? 1.0 : Math.Sqrt(1 + Math.Log(s) / Math.Log(original)));
        var factors = sequenceLength > original ? rope.LongFactor! : rope.ShortFactor!;
        var inv = new float[d / 2];
        for (var i = 0; i < inv.Length; i++) inv[i] = 1f / ((float)factors[i] * Power((float)rope.Theta, Exponent(i, d)));
        return rope.InitialUnscaledTokens > 0
            ? new(inv, attention) { InitialUnscaledTokens = rope.InitialUnscaledTokens, OriginalInverseFrequencies = Default(rope.Theta, d) }
            : new(inv, attention);
    }

    /// <summary>2i/d as torch forms it: arange(0, d, 2) in int64, converted to float32, divided in float32.</summary>
    private static float Exponent(int i, int d) => (float)(2 * i) / (float)d;

    /// <summary>x^y for float32 operands, rounded once to float32.</summary>
    private static float Power(float x, float y) => (float)Math.Pow(x, y);
}
