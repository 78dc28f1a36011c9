using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Model;

// The Llama-family decoder (Llama-2/3, Mistral, Qwen2), as Hugging Face transformers computes it:
//
//   input_ids ─ embed_tokens ─┬─ [ DecoderLayer × N ] ─ norm ─ lm_head ─ logits
//   position_ids ─ rotary ────┘
//   DecoderLayer:  h += Attention(RMSNorm(h), cos, sin);  h += Mlp(RMSNorm(h))
//                  each block's update is added by the RMSNorm after it (Residual), so that one kernel can do both
//   Attention:     q, k, v projections (optional bias) → RoPE on q, k at the given positions
//                  → grouped-query causal attention → o projection
//   Mlp:           down(silu(gate(x)) · up(x))
//
// Parameters carry transformers' names, so checkpoints map one to one. Everything runs inside the
// caller's DisposeScope, except that each decoder layer frees its own intermediates as it returns;
// only parameters and the KV cache live longer.

// ---- RMSNorm --------------------------------------------------------------

/// <summary>
/// y = w · x / √(mean(x²) + ε), computed in f32 and cast back to x's dtype before the weight, as
/// transformers does; on CUDA, libtorch's fused kernel where it has one (nine kernels become one).
/// </summary>
public sealed class RmsNorm(Tensor weight, double eps)
{
    public Tensor Weight { get; } = weight;

    public Tensor Forward(Tensor x)
    {
        if (TorchRuntime.HasFusedRmsNorm && x.Device.IsCuda) return Functional.FusedRmsNorm(x, Weight, eps);
        var dtype = x.DType;
        var x32 = x.To(DType.Float32);
        var normalized = x32 * x32.Square().Mean(-1, keepDim: true).Add(eps).Rsqrt();
        return Weight * normalized.To(dtype);
    }

    /// <summary>
    /// The residual stream with its pending update added, and that sum normalised: (h + δ, RMSNorm(h + δ)). On CUDA one
    /// kernel each way where <see cref="ResidualNormKernel"/> applies, else the add, then <see cref="Forward(Tensor)"/>.
    /// </summary>
    public (Tensor Stream, Tensor Normed) Forward(Residual residual)
    {
        if (residual.Pending is not { } delta) return (residual.Stream, Forward(residual.Stream));
        if (ResidualNormKernel.Applies(residual.Stream, delta, Weight))
        {
            var outputs = new ResidualNormKernel(residual.Stream, delta, Weight, eps).Apply(residual.Stream, delta, Weight);
            return (outputs[0], outputs[1]);
        }
        var sum = residual.Stream + delta;
        return (sum, Forward(sum));
    }
}

/// <summary>
/// The residual stream h and the update the last block made to it, not yet added: the RMSNorm after the block adds it
/// (<see cref="RmsNorm.Forward(Residual)"/>), so that a fused kernel need not read the sum back.
/// </summary>
public readonly record struct Residual(Tensor Stream, Tensor? Pending = null)
{
    /// <summary>h + δ, or h with no update pending.</summary>
    public Tensor Sum() => Pending is { } delta ? Stream + delta : Stream;
}

// ---- Attention -------------------------------------------------------------

/// <summary>Grouped-query causal self-attention with rotary position embeddings.</summary>
public sealed class Attention(LlamaConfig config, Parameters p, string prefix)
{
    private readonly Tensor qProj = p[$"{prefix}.q_proj.weight"], kProj = p[$"{prefix}.k_proj.weight"];
    private readonly Tensor vProj = p[$"{prefix}.v_proj.weight"], oProj = p[$"{prefix}.o_proj.weight"];
    private readonly Tensor? qBias = p.Optional($"{prefix}.q_proj.bias"), kBias = p.Optional($"{prefix}.k_proj.bias");
    private readonly Tensor? vBias = p.Optional($"{prefix}.v_proj.bias"), oBias = p.Optional($"{prefix}.o_proj.bias");

    /// <param name="x">[batch, seq, hidden]</param>
    /// <param name="cos">[batch, seq, head_dim] rotary table for these positions (and <paramref name="signedSin"/>, <see cref="Rotary.SignedSin"/>)</param>
    /// <param name="cache">keys and values of earlier tokens, extended with these; null when training</param>
    public Tensor Forward(Tensor x, Tensor cos, Tensor signedSin, LayerCache? cache)
    {
        var (batch, seq) = (x.Size(0), x.Size(1));
        var (heads, kvHeads, headDim) = (config.NumAttentionHeads, config.NumKeyValueHeads, config.HeadDim);

        // [batch, seq, heads · head_dim] → [batch, seq, heads, head_dim], rotated, → [batch, heads, seq, head_dim]
        var qkv = Functional.Linears(x, [qProj, kProj, vProj], [qBias, kBias, vBias]);
        var q = Rotary.Rotate(qkv[0].View(batch, seq, heads, headDim), cos, signedSin).Transpose(1, 2);
        var k = Rotary.Rotate(qkv[1].View(batch, seq, kvHeads, headDim), cos, signedSin).Transpose(1, 2);
        var v = qkv[2].View(batch, seq, kvHeads, headDim).Transpose(1, 2);

        var past = cache?.Length ?? 0;
        if (cache is not null) (k, v) = cache.Append(k, v);

        // Each key/value head serves heads / kv_heads query heads, in order (transformers' repeat_kv);
        // attention takes the groups as they are.
        // Causality is by sequence index: query i (absolute past + i) sees keys 0 … past + i.
        var attended = past == 0
            ? Functional.ScaledDotProductAttention(q, k, v, isCausal: true)
            : Functional.ScaledDotProductAttention(q, k, v, mask: CausalMask(seq, past + seq, x.Device));

        var merged = attended.Transpose(1, 2).Reshape(batch, seq, heads * headDim);
        return Functional.Linear(merged, oProj, oBias);
    }

    /// <summary>[queries, keys] boolean, true where key j ≤ the query's absolute index.</summary>
    private static Tensor CausalMask(long queries, long keys, Device device) =>
        Tensor.Ones([queries, keys], DType.Bool, device).Tril(keys - queries);
}

// ---- MLP ---------------------------------------------------------------------

/// <summary>The SwiGLU feed-forward: down(silu(gate(x)) · up(x)).</summary>
public sealed class Mlp(Parameters p, string prefix)
{
    private readonly Tensor gate = p[$"{prefix}.gate_proj.weight"], up = p[$"{prefix}.up_proj.weight"], down = p[$"{prefix}.down_proj.weight"];
    private readonly Tensor? gateBias = p.Optional($"{prefix}.gate_proj.bias"), upBias = p.Optional($"{prefix}.up_proj.bias");
    private readonly Tensor? downBias = p.Optional($"{prefix}.down_proj.bias");

    public Tensor Forward(Tensor x)
    {
        var gateUp = Functional.Linears(x, [gate, up], [gateBias, upBias]);
        return Functional.Linear(Functional.SwiGlu(gateUp[0], gateUp[1]), down, downBias);
    }
}

// ---- Decoder layer -------------------------------------------------------------

/// <summary>Pre-norm residual block: h + attn(norm(h)), then + mlp(norm(·)); the MLP's update is left for the next norm to add.</summary>
public sealed class DecoderLayer(LlamaConfig config, Parameters p, int index)
{
    private readonly RmsNorm inputNorm = new(p[$"model.layers.{index}.input_layernorm.weight"], config.RmsNormEps);
    private readonly Attention attention = new(config, p, $"model.layers.{index}.self_attn");
    private readonly RmsNorm postAttentionNorm = new(p[$"model.layers.{index}.post_attention_layernorm.weight"], config.RmsNormEps);
    private readonly Mlp mlp = new(p, $"model.layers.{index}.mlp");

    public Residual Forward(Residual h, Tensor cos, Tensor signedSin, LayerCache? cache)
    {
        // The layer's intermediates go as soon as it is done; autograd keeps what backward needs.
        // Held to the end of the step instead, they would add up to gigabytes at long lengths.
        using var scope = DisposeScope.Enter();
        var (stream, normed) = inputNorm.Forward(h);
        (stream, normed) = postAttentionNorm.Forward(new Residual(stream, attention.Forward(normed, cos, signedSin, cache)));
        return new Residual(scope.MoveToOuter(stream), scope.MoveToOuter(mlp.Forward(normed)));
    }
}

// ---- The model -------------------------------------------------------------------

/// <summary>A Llama-family causal language model over named parameters it owns.</summary>
public sealed class LlamaModel : IDisposable
{
    private readonly Tensor embedTokens;
    private readonly DecoderLayer[] layers;
    private readonly RmsNorm norm;
    private readonly Tensor lmHead;

    public LlamaConfig Config { get; }

    /// <summary>Every parameter by its transformers name (lm_head.weight absent when tied).</summary>
    public Parameters Parameters { get; }

    /// <summary>Recompute each layer during backward instead of storing its activations.</summary>
    public bool ActivationCheckpointing { get; set; }

    public LlamaModel(LlamaConfig config, Parameters parameters)
    {
        Config = config;
        Parameters = parameters;
        embedTokens = parameters["model.embed_tokens.weight"];
        layers = Enumerable.Range(0, config.NumHiddenLayers).Select(i => new DecoderLayer(config, parameters, i)).ToArray();
        norm = new RmsNorm(parameters["model.norm.weight"], config.RmsNormEps);
        lmHead = config.TieWordEmbeddings ? embedTokens : parameters["lm_head.weight"];
    }

    /// <summary>
    /// The same weights under another config (another RoPE, another window), e.g. a training-free
    /// rescaling. The view shares the parameters: dispose only the original.
    /// </summary>
    public LlamaModel WithConfig(LlamaConfig config) => new(config.Validate(), Parameters);

    public DType DType => embedTokens.DType;

    public Device Device => embedTokens.Device;

    /// <summary>Logits [batch, seq, vocab] for i64 <paramref name="inputIds"/> [batch, seq] at <paramref name="positionIds"/> [batch, seq]
    /// (any increasing positions, per row); with a cache, the tokens continue the cached ones.</summary>
    public Tensor Forward(Tensor inputIds, Tensor positionIds, KvCache? cache = null) => Logits(Hidden(inputIds, positionIds, cache));

    /// <summary>The final normalised hidden states [batch, seq, hidden]; <see cref="Logits"/> maps them to the vocabulary,
    /// which long sequences do a chunk at a time.</summary>
    public Tensor Hidden(Tensor inputIds, Tensor positionIds, KvCache? cache = null) =>
        Hidden(inputIds, Rotary.CosSin(Config, positionIds, DType), cache);

    /// <summary>
    /// <see cref="Hidden(Tensor, Tensor, KvCache?)"/> with the positions' rotary table made by the caller
    /// (<see cref="Rotary.CosSin(LlamaConfig, Tensor, DType)"/>): a step recorded as a CUDA graph makes it beforehand, as
    /// recording cannot copy the frequencies to the GPU.
    /// </summary>
    public Tensor Hidden(Tensor inputIds, (Tensor Cos, Tensor Sin) rotary, KvCache? cache = null)
    {
        var (cos, signedSin) = (rotary.Cos, Rotary.SignedSin(rotary.Sin));
        var h = new Residual(Functional.Embedding(embedTokens, inputIds));
        for (var i = 0; i < layers.Length; i++)
        {
            var layer = layers[i];
            // A checkpointed layer takes and gives one tensor: the stream with its update added.
            var next = ActivationCheckpointing && cache is null
                ? new Residual(ActivationCheckpoint.Run(x => layer.Forward(new Residual(x), cos, signedSin, null).Sum(), h.Sum()))
                : layer.Forward(h, cos, signedSin, cache?[i]);
            // The layer's input goes now: autograd keeps what backward needs, and held to the end of the step, two
            // tensors a layer would add up to gigabytes at long lengths.
            h.Stream.Dispose();
            h.Pending?.Dispose();
            h = next;
        }
        return norm.Forward(h).Normed;
    }

    public Tensor Logits(Tensor hidden) => Functional.Linear(hidden, lmHead);

    /// <summary>
    /// A freshly initialised model, as transformers initialises one: linear and embedding weights
    /// from N(0, initializer_range²), biases 0, norm weights 1; drawn from <paramref name="seed"/>.
    /// </summary>
    public static LlamaModel Initialize(LlamaConfig config, ulong seed, DType dtype = DType.Float32, Device? device = null)
    {
        using var generator = new Generator(seed);
        var parameters = new Parameters();
        try
        {
            foreach (var (name, shape) in ParameterShapes(config))
            {
                using var scope = DisposeScope.Enter();
                var tensor = name.EndsWith("norm.weight", StringComparison.Ordinal) ? Tensor.Ones(shape, dtype, device)
                    : name.EndsWith(".bias", StringComparison.Ordinal) ? Tensor.Zeros(shape, dtype, device)
                    : (Tensor.Randn(shape, generator, DType.Float32, device) * config.InitializerRange).To(dtype);
                parameters.Add(name, tensor);
            }
            return new LlamaModel(config, parameters);
        }
        catch
        {
            parameters.Dispose();
            throw;
        }
    }

    /// <summary>
    /// How many values <see cref="ParameterShapes"/> hold, without walking every layer (a config.json asking for 2000000000
    /// layers would take minutes): the layers are alike, so those outside them plus num_hidden_layers times one layer's.
    /// Sizes that multiply past long's range (each is an int, their products are not) give long.MaxValue.
    /// </summary>
    public static long ParameterCount(LlamaConfig c)
    {
        static long Count(LlamaConfig config) => ParameterShapes(config).Sum(p => p.Shape.Aggregate(1L, (a, b) => checked(a * b)));
        try
        {
            var outside = Count(c with { NumHiddenLayers = 0 });
            return checked(outside + c.NumHiddenLayers * (Count(c with { NumHiddenLayers = 1 }) - outside));
        }
        catch (OverflowException)
        {
            return long.MaxValue;
        }
    }

    /// <summary>Every tensor the architecture needs, with the shape the config implies, in transformers' order.</summary>
    public static IEnumerable<(string Name, long[] Shape)> ParameterShapes(LlamaConfig c)
    {
        long hidden = c.HiddenSize, q = (long)c.NumAttentionHeads * c.HeadDim, kv = (long)c.NumKeyValueHeads * c.HeadDim;
        yield return ("model.embed_tokens.weight", [c.VocabSize, hidden]);
        for (var i = 0; i < c.NumHiddenLayers; i++)
        {
            var attention = $"model.layers.{i}.self_attn";
            yield return ($"{attention}.q_proj.weight", [q, hidden]);
            yield return ($"{attention}.k_proj.weight", [kv, hidden]);
            yield return ($"{attention}.v_proj.weight", [kv, hidden]);
            yield return ($"{attention}.o_proj.weight", [hidden, q]);
            if (c.QkvBias)
            {
                yield return ($"{attention}.q_proj.bias", [q]);
                yield return ($"{attention}.k_proj.bias", [kv]);
                yield return ($"{attention}.v_proj.bias", [kv]);
            }
            if (c.OutputBias) yield return ($"{attention}.o_proj.bias", [hidden]);
            var mlp = $"model.layers.{i}.mlp";
            yield return ($"{mlp}.gate_proj.weight", [c.IntermediateSize, hidden]);
            yield return ($"{mlp}.up_proj.weight", [c.IntermediateSize, hidden]);
            yield return ($"{mlp}.down_proj.weight", [hidden, c.IntermediateSize]);
            if (c.MlpBias)
            {
                yield return ($"{mlp}.gate_proj.bias", [c.IntermediateSize]);
                yield return ($"{mlp}.up_proj.bias", [c.IntermediateSize]);
                yield return ($"{mlp}.down_proj.bias", [hidden]);
            }
            yield return ($"model.layers.{i}.input_layernorm.weight", [hidden]);
            yield return ($"model.layers.{i}.post_attention_layernorm.weight", [hidden]);
        }
        yield return ("model.norm.weight", [hidden]);
        if (!c.TieWordEmbeddings) yield return ("lm_head.weight", [c.VocabSize, hidden]);
    }

    /// <summary>A cache for incremental decoding with this model.</summary>
    public KvCache NewCache() => new(Config.NumHiddenLayers);

    public void Dispose() => Parameters.Dispose();
}
