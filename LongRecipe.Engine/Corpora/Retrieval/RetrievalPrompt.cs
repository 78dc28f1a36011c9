using LongRecipe.Engine.Corpora.Synthetic;
using LongRecipe.Engine.Tokenization;

namespace LongRecipe.Engine.Corpora.Retrieval;

/// <summary>
/// A retrieval question ready for the model: <paramref name="Ids"/> (BOS, haystack, question, and the cue
/// the answer completes, e.g. "… The pass key is"), the expected <paramref name="Answer"/> and its tokens
/// <paramref name="AnswerIds"/> as they follow the prompt (" 48213"), the token index where the needle
/// sentence starts, and the haystack's length in tokens. Prompt and answer together fit the context length.
/// </summary>
public sealed record RetrievalPrompt(long[] Ids, string Answer, long[] AnswerIds, int NeedleTokenOffset, int HaystackTokens);

/// <summary>
/// Needle and passkey prompts sized in the model's tokens: the haystack (Corpora/Synthetic's
/// <see cref="NeedleSample"/> or <see cref="PasskeySample"/>, measured with the tokenizer) takes what the
/// context length leaves after BOS, the question and the answer, so the needle's depth is a share of
/// the tokens the model actually sees.
/// </summary>
public static class RetrievalPrompts
{
    // Sentences are measured one by one, so the joined text can encode to a few tokens more, or a percent
    // fewer, than planned: the haystack is re-planned by the difference until the prompt and answer end
    // within Slack tokens of the context length without passing it, at most FitAttempts times.
    private const int FitAttempts = 4;
    private const int Slack = 8;

    /// <summary>"…haystack…\n\nWhat is the special magic number for Lisbon?\nAnswer: The special magic number for Lisbon is" → " 7319".</summary>
    public static RetrievalPrompt Needle(Tokenizer tokenizer, int contextLength, double depthPercent, NeedleKind kind, ulong seed) =>
        Build(tokenizer, contextLength, "needle", haystack =>
        {
            var sample = NeedleSample.Generate(new NeedleSpec(haystack, depthPercent, kind, seed), Counter(tokenizer));
            var cue = sample.Needle.Text[..(sample.Needle.ValueCharOffset - sample.Needle.CharOffset)].TrimEnd();
            return (sample.Context, $"\n\n{sample.Question}\nAnswer: {cue}", sample.Answer, sample.Needle.CharOffset);
        });

    /// <summary>
    /// The needle prompt in real text: <paramref name="document"/> (of at least the context's tokens) cut to what the
    /// context leaves, at a word boundary, with the needle sentence inserted at the sentence boundary nearest
    /// <paramref name="depthPercent"/> of it (0 = before the first sentence, 100 = after the last whole one); the needle is
    /// drawn again while its answer occurs in the document (<see cref="NeedleSample.NeedleFor"/>).
    /// </summary>
    public static RetrievalPrompt NeedleInText(Tokenizer tokenizer, int contextLength, double depthPercent, NeedleKind kind, ulong seed, string document)
    {
        if (depthPercent is not (>= 0 and <= 100)) throw new ArgumentException($"depth must be in [0, 100] percent, not {depthPercent}", nameof(depthPercent));
        var (needle, question, answer) = NeedleSample.NeedleFor(kind, seed, document);
        var documentIds = tokenizer.Encode(document, addSpecialTokens: false);
        var needleTokens = Counter(tokenizer)(" " + needle);
        var cue = needle[..needle.IndexOf(answer, StringComparison.Ordinal)].TrimEnd();
        return Build(tokenizer, contextLength, "needle", haystack =>
        {
            var text = TextHaystack.Prefix(tokenizer, documentIds, haystack - needleTokens);
            var (context, needleChar) = TextHaystack.Insert(text, needle, depthPercent);
            return (context, $"\n\n{question}\nAnswer: {cue}", answer, needleChar);
        });
    }

    /// <summary>"…filler…\nWhat is the pass key? The pass key is" → " 48213".</summary>
    public static RetrievalPrompt Passkey(Tokenizer tokenizer, int contextLength, double depthPercent, ulong seed) =>
        Build(tokenizer, contextLength, "pass key", haystack =>
        {
            var sample = PasskeySample.Generate(new PasskeySpec(haystack, depthPercent, Seed: seed), Counter(tokenizer));
            return (sample.Context, "\n" + sample.Question, sample.Answer, sample.Needle.CharOffset);
        });

    /// <summary>Counts tokens as the synthetic layouts need: without special tokens.</summary>
    internal static Func<string, int> Counter(Tokenizer tokenizer) => text => tokenizer.Encode(text, addSpecialTokens: false).Length;

    private static RetrievalPrompt Build(Tokenizer tokenizer, int contextLength, string what,
        Func<int, (string Context, string Question, string Answer, int NeedleChar)> generate)
    {
        // The question and answer do not depend on the haystack's length (they are drawn first), so one
        // full-length draw tells how much room they leave.
        var probe = generate(contextLength);
        var reserved = Ids(tokenizer, probe.Question, special: false).Length + Ids(tokenizer, " " + probe.Answer, special: false).Length + 1;
        var haystack = contextLength - reserved;
        RetrievalPrompt? best = null;
        for (var attempt = 0; attempt < FitAttempts && haystack > 0; attempt++)
        {
            var (context, question, answer, needleChar) = generate(haystack);
            var ids = Ids(tokenizer, context + question, special: true);
            var answerIds = Ids(tokenizer, " " + answer, special: false);
            var missing = contextLength - ids.Length - answerIds.Length;
            if (missing >= 0 && (best is null || ids.Length > best.Ids.Length))
            {
                // Without the space before it, which the needle's first word carries (" The").
                var needleOffset = Ids(tokenizer, context[..needleChar].TrimEnd(' '), special: true).Length;
                best = new RetrievalPrompt(ids, answer, answerIds, needleOffset, haystack);
            }
            if (missing is >= 0 and <= Slack) break;
            haystack += missing;
        }
        return best ?? throw new ArgumentException($"a {what} prompt does not fit in {contextLength} tokens", nameof(contextLength));
    }

    private static long[] Ids(Tokenizer tokenizer, string text, bool special) =>
        [.. tokenizer.Encode(text, special).Select(id => (long)id)];
}
