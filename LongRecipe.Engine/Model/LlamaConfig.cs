using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Model;

/// <summary>The decoder families that share the Llama architecture (config.json's model_type).</summary>
public enum ModelFamily
{
    /// <summary>"llama": Llama 1–3; attention_bias and mlp_bias are flags.</summary>
    Llama,
    /// <summary>"mistral": no biases; may declare a sliding window.</summary>
    Mistral,
    /// <summary>"qwen2": q/k/v projections carry a bias, o_proj and the MLP do not.</summary>
    Qwen2,
}

/// <summary>
/// Everything a Llama-family decoder needs: sizes, norms, biases, token ids and RoPE. Immutable;
/// stored with every checkpoint as a config.json transformers loads (see <see cref="Save"/>).
/// Names follow config.json. Build one with <see cref="Create"/> or a preset, read one with
/// <see cref="Load"/>; a config changed with <c>with</c> should be checked with <see cref="Validate"/>.
/// </summary>
public sealed partial record LlamaConfig
{
    public required ModelFamily ModelType { get; init; }

    /// <summary>Tokens in the vocabulary, e.g. 32000 (Llama 2), 128256 (Llama 3).</summary>
    public required int VocabSize { get; init; }

    /// <summary>Width of the residual stream, e.g. 4096.</summary>
    public required int HiddenSize { get; init; }

    /// <summary>Width of the SwiGLU MLP, e.g. 11008.</summary>
    public required int IntermediateSize { get; init; }

    public required int NumHiddenLayers { get; init; }

    public required int NumAttentionHeads { get; init; }

    /// <summary>Key/value heads (grouped-query attention); equal to the query heads for plain multi-head attention.</summary>
    public required int NumKeyValueHeads { get; init; }

    /// <summary>Dimension of each head; hidden_size / num_attention_heads unless a config.json says otherwise.</summary>
    public required int HeadDim { get; init; }

    /// <summary>The window the model is configured for (after any extension), e.g. 4096.</summary>
    public required long MaxPositionEmbeddings { get; init; }

    /// <summary>ε of every RMSNorm, e.g. 1e-5 (Llama 2, 3) or 1e-6.</summary>
    public double RmsNormEps { get; init; } = 1e-6;

    /// <summary>Whether lm_head reuses the embedding matrix.</summary>
    public bool TieWordEmbeddings { get; init; }

    /// <summary>Whether q_proj, k_proj and v_proj carry a bias (Llama's attention_bias; always for Qwen2).</summary>
    public bool QkvBias { get; init; }

    /// <summary>Whether o_proj carries a bias (Llama's attention_bias; never for Qwen2).</summary>
    public bool OutputBias { get; init; }

    /// <summary>Whether gate_proj, up_proj and down_proj carry a bias (Llama's mlp_bias).</summary>
    public bool MlpBias { get; init; }

    /// <summary>Standard deviation of the normal weight initialization, e.g. 0.02.</summary>
    public double InitializerRange { get; init; } = 0.02;

    public long? BosTokenId { get; init; }

    /// <summary>End-of-sequence ids; Llama 3.1 lists several.</summary>
    public IReadOnlyList<long> EosTokenIds { get; init; } = [];

    public long? PadTokenId { get; init; }

    /// <summary>The dtype the weights are stored in (config.json's dtype / torch_dtype), when it says.</summary>
    public DType? Dtype { get; init; }

    /// <summary>
    /// A Mistral or Qwen2 sliding attention window, kept so that it survives a load and save. The
    /// engine attends over the whole causal prefix; such a model differs beyond the window.
    /// </summary>
    public int? SlidingWindow { get; init; }

    /// <summary>RoPE base, type and scaling parameters (config.json's rope_parameters).</summary>
    public RopeScaling RopeScaling { get; init; } = new();

    // Records compare lists by reference; two loads of one file must compare equal.
    public bool Equals(LlamaConfig? other) =>
        other is not null
        && ModelType == other.ModelType && VocabSize == other.VocabSize && HiddenSize == other.HiddenSize
        && IntermediateSize == other.IntermediateSize && NumHiddenLayers == other.NumHiddenLayers
        && NumAttentionHeads == other.NumAttentionHeads && NumKeyValueHeads == other.NumKeyValueHeads
        && HeadDim == other.HeadDim && MaxPositionEmbeddings == other.MaxPositionEmbeddings
        && RmsNormEps.Equals(other.RmsNormEps) && TieWordEmbeddings == other.TieWordEmbeddings
        && QkvBias == other.QkvBias && OutputBias == other.OutputBias && MlpBias == other.MlpBias
        && InitializerRange.Equals(other.InitializerRange) && BosTokenId == other.BosTokenId
        && EosTokenIds.SequenceEqual(other.EosTokenIds) && PadTokenId == other.PadTokenId
        && Dtype == other.Dtype && SlidingWindow == other.SlidingWindow && RopeScaling.Equals(other.RopeScaling);

    public override int GetHashCode() => HashCode.Combine(ModelType, VocabSize, HiddenSize, NumHiddenLayers, RopeScaling);

    // ---- the one builder and the presets ---------------------------------------

    /// <summary>
    /// Builds a validated config, filling what transformers fills when a field is absent:
    /// kv heads = heads, head_dim = hidden / heads, the family's biases, and for llama3, yarn and
    /// longrope the original window = max_position_embeddings.
    /// </summary>
    public static LlamaConfig Create(ModelFamily family, int vocabSize, int hiddenSize, int intermediateSize, int layers,
        int heads, int? kvHeads = null, int? headDim = null, long maxPositionEmbeddings = 2048, RopeScaling? rope = null,
        double rmsNormEps = 1e-6, bool tieWordEmbeddings = false, long? bosTokenId = 1, long? eosTokenId = 2)
    {
        if (headDim is null && heads > 0 && hiddenSize % heads != 0)
            throw new ArgumentException(DivisibilityProblem(hiddenSize, heads));
        rope ??= new RopeScaling();
        var config = new LlamaConfig
        {
            ModelType = family,
            VocabSize = vocabSize,
            HiddenSize = hiddenSize,
            IntermediateSize = intermediateSize,
            NumHiddenLayers = layers,
            NumAttentionHeads = heads,
            NumKeyValueHeads = kvHeads ?? heads,
            HeadDim = headDim ?? (heads > 0 ? hiddenSize / heads : 0),
            MaxPositionEmbeddings = maxPositionEmbeddings,
            RmsNormEps = rmsNormEps,
            TieWordEmbeddings = tieWordEmbeddings,
            QkvBias = family == ModelFamily.Qwen2,
            BosTokenId = bosTokenId,
            EosTokenIds = eosTokenId is { } eos ? [eos] : [],
            RopeScaling = rope.UsesOriginalWindow && rope.OriginalMaxPositionEmbeddings is null
                ? rope with { OriginalMaxPositionEmbeddings = maxPositionEmbeddings }
                : rope,
        };
        config.Validate();
        return config;
    }

    /// <summary>
    /// A test-sized model (about 35k parameters): vocab 256, hidden 32, 2 layers, 2 heads of 16 sharing
    /// 1 kv head, MLP 64, a 64-token window — the shape of the transformers reference fixtures
    /// (Tests/Model/Reference/make_model_reference.py).
    /// </summary>
    public static LlamaConfig Tiny(ModelFamily family = ModelFamily.Llama, RopeScaling? rope = null, long maxPositionEmbeddings = 64) =>
        Create(family, vocabSize: 256, hiddenSize: 32, intermediateSize: 64, layers: 2, heads: 2, kvHeads: 1,
            maxPositionEmbeddings: maxPositionEmbeddings, rope: rope);

    /// <summary>
    /// The product's built-in base model, pretrained by the lab itself (about 6.95M parameters with a
    /// 4096-token vocabulary): hidden 256, 8 layers, 8 heads of 32 sharing 4 kv heads, a 704-wide
    /// SwiGLU MLP, tied embeddings, a 256-token window at θ = 10000, RMSNorm ε 1e-5.
    /// </summary>
    public static LlamaConfig Builtin(int vocabSize = 4096) =>
        Create(ModelFamily.Llama, vocabSize, hiddenSize: 256, intermediateSize: 704, layers: 8, heads: 8, kvHeads: 4,
            maxPositionEmbeddings: 256, rope: new RopeScaling { Theta = 10_000 }, rmsNormEps: 1e-5, tieWordEmbeddings: true);

    /// <summary>
    /// The replication experiment's base (experiments/replication; about 34M parameters with an 8192-token
    /// vocabulary): hidden 512, 10 layers, 8 heads of 64 sharing 4 kv heads, a 1408-wide SwiGLU MLP, tied
    /// embeddings, a 512-token window at θ = 10000, RMSNorm ε 1e-5.
    /// </summary>
    public static LlamaConfig Small(int vocabSize = 8192) =>
        Create(ModelFamily.Llama, vocabSize, hiddenSize: 512, intermediateSize: 1408, layers: 10, heads: 8, kvHeads: 4,
            maxPositionEmbeddings: 512, rope: new RopeScaling { Theta = 10_000 }, rmsNormEps: 1e-5, tieWordEmbeddings: true);

    /// <summary>
    /// About 128M parameters: GPT-3 Small's width and depth (768 × 12 layers, 12 heads of 64) with
    /// grouped-query attention (4 kv heads), a 3072-wide SwiGLU MLP, the Llama 2 vocabulary (32000)
    /// with tied embeddings, and a 2048-token window at θ = 10000.
    /// </summary>
    public static LlamaConfig Llama125M() =>
        Create(ModelFamily.Llama, vocabSize: 32000, hiddenSize: 768, intermediateSize: 3072, layers: 12, heads: 12,
            kvHeads: 4, maxPositionEmbeddings: 2048, rmsNormEps: 1e-5, tieWordEmbeddings: true);

    /// <summary>
    /// The shape of Llama-3.2-1B (about 1.24B parameters), so its checkpoints load into it: hidden 2048,
    /// 16 layers, 32 heads of 64, 8 kv heads, MLP 8192, vocabulary 128256 with tied embeddings, and
    /// Llama 3.1 RoPE (θ = 500000, llama3 scaling by 32 from an 8192-token original window to 131072).
    /// </summary>
    public static LlamaConfig Llama1B() =>
        Create(ModelFamily.Llama, vocabSize: 128256, hiddenSize: 2048, intermediateSize: 8192, layers: 16, heads: 32,
            kvHeads: 8, maxPositionEmbeddings: 131072, rmsNormEps: 1e-5, tieWordEmbeddings: true,
            bosTokenId: 128000, eosTokenId: 128001,
            rope: Llama31Rope(factor: 32));

    /// <summary>
    /// The shape of Llama-3-8B (about 8.03B parameters), the paper's model: hidden 4096, 32 layers, 32 heads of 128,
    /// 8 kv heads, MLP 14336, vocabulary 128256 with an untied lm_head, and Llama 3.1 RoPE (θ = 500000, llama3 scaling
    /// by 8 from an 8192-token original window to 131072).
    /// </summary>
    public static LlamaConfig Llama8B() =>
        Create(ModelFamily.Llama, vocabSize: 128256, hiddenSize: 4096, intermediateSize: 14336, layers: 32, heads: 32,
            kvHeads: 8, maxPositionEmbeddings: 131072, rmsNormEps: 1e-5, tieWordEmbeddings: false,
            bosTokenId: 128000, eosTokenId: 128001,
            rope: Llama31Rope(factor: 8));

    /// <summary>Llama 3.1's RoPE: θ = 500000, llama3 scaling by <paramref name="factor"/> from an 8192-token original window.</summary>
    private static RopeScaling Llama31Rope(double factor) => new()
    {
        Type = RopeType.Llama3, Theta = 500_000, Factor = factor, LowFreqFactor = 1, HighFreqFactor = 4,
        OriginalMaxPositionEmbeddings = 8192,
    };

    // ---- validation ----------------------------------------------------------

    /// <summary>Throws <see cref="ArgumentException"/> naming the config.json field of the first problem.</summary>
    public LlamaConfig Validate() => Problem("rope_parameters") is { } problem ? throw new ArgumentException(problem) : this;

    private static string DivisibilityProblem(int hidden, int heads) =>
        $"hidden_size ({hidden}) must be divisible by num_attention_heads ({heads}) when head_dim is not given";

    /// <summary>The first problem, or null; RoPE fields are named under <paramref name="ropeSection"/>.</summary>
    private string? Problem(string ropeSection)
    {
        foreach (var (name, value) in new (string, long)[]
        {
            ("vocab_size", VocabSize), ("hidden_size", HiddenSize), ("intermediate_size", IntermediateSize),
            ("num_hidden_layers", NumHiddenLayers), ("num_attention_heads", NumAttentionHeads),
            ("num_key_value_heads", NumKeyValueHeads), ("head_dim", HeadDim), ("max_position_embeddings", MaxPositionEmbeddings),
        })
            if (value <= 0) return $"{name} ({value}) must be positive";
        // Sequence lengths are ints everywhere past the config (eval lengths, run specs' native length).
        if (MaxPositionEmbeddings > int.MaxValue) return $"max_position_embeddings ({MaxPositionEmbeddings}) must be at most {int.MaxValue}";
        if (NumAttentionHeads % NumKeyValueHeads != 0)
            return $"num_key_value_heads ({NumKeyValueHeads}) must divide num_attention_heads ({NumAttentionHeads})";
        if (!(RmsNormEps > 0)) return $"rms_norm_eps ({RmsNormEps}) must be positive";
        if (SlidingWindow is <= 0) return $"sliding_window ({SlidingWindow}) must be positive";
        var biases = ModelType switch
        {
            ModelFamily.Llama when QkvBias != OutputBias =>
                "a llama model has one attention_bias flag for q, k, v and o; QkvBias and OutputBias must agree",
            ModelFamily.Qwen2 when !QkvBias || OutputBias || MlpBias =>
                "a qwen2 model has biases on q, k and v only",
            ModelFamily.Mistral when QkvBias || OutputBias || MlpBias =>
                "a mistral model has no biases",
            _ => null,
        };
        return biases ?? RopeScaling.Problem(ropeSection, HeadDim);
    }
}
