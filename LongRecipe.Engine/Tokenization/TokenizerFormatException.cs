namespace LongRecipe.Engine.Tokenization;

/// <summary>
/// A tokenizer file could not be used: malformed JSON, a missing or mistyped field, or a component this
/// reader does not support. The message names the file and the field, e.g.
/// "…/tokenizer.json: model.type 'WordPiece' is not supported (BPE only)".
/// </summary>
public sealed class TokenizerFormatException(string message, Exception? inner = null) : Exception(message, inner);
