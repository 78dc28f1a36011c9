namespace LongRecipe.Engine.Corpora;

/// <summary>
/// One document of a corpus, in one of the three shapes sources come in: plain text, text already
/// tokenized (input_ids), or an instruction pair (prompt + response, the reference code's replay
/// format, trained on as prompt followed by response).
/// </summary>
public sealed record CorpusDocument(string? Text = null, int[]? TokenIds = null, string? Prompt = null, string? Response = null)
{
    /// <summary>The text to tokenize, or null when the document comes tokenized.</summary>
    public string? TextToTokenize => Text ?? (Prompt is null ? null : Prompt + Response);
}

/// <summary>A corpus source is malformed; the message names the file, the line and the field.</summary>
public sealed class CorpusFormatException(string message) : Exception(message);
