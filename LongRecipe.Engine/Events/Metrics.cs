namespace LongRecipe.Engine.Events;

/// <summary>The benchmarks an <see cref="EvalEvent"/> names, which are also the suites an evaluation runs.</summary>
public static class Benchmarks
{
    public const string Niah = "niah";
    public const string Passkey = "passkey";
    public const string Perplexity = "perplexity";
    public const string ShortPerplexity = "short_perplexity";

    /// <summary>Every suite, in the order an evaluation runs them.</summary>
    public static IReadOnlyList<string> All { get; } = [Niah, Passkey, Perplexity, ShortPerplexity];
}

/// <summary>What an <see cref="EvalEvent"/>'s value measures.</summary>
public static class Metrics
{
    /// <summary>The share of retrieval prompts answered exactly (greedy), in [0, 1].</summary>
    public const string Accuracy = "accuracy";

    /// <summary>The mean over prompts of Σ log p(answer tokens | prompt), teacher forced.</summary>
    public const string NeedleLogProb = "needle_logprob";

    /// <summary>exp of the mean negative log-likelihood per predicted token.</summary>
    public const string Perplexity = "perplexity";

    /// <summary>The summed negative log-likelihood in bits over the UTF-8 bytes the predicted tokens spell: independent of the tokenizer.</summary>
    public const string BitsPerByte = "bits_per_byte";
}
