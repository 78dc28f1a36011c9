using LongRecipe.Engine.IO;

namespace LongRecipe.Engine.Tokenization;

/// <summary>
/// What tokenizer_config.json (transformers' companion file) adds: the names of the BOS and EOS tokens
/// and, when given, whether encoding adds them. A token may be written as a string or as an object with
/// "content".
/// </summary>
internal sealed record TokenizerConfig(string? BosToken, string? EosToken, bool? AddBosToken, bool? AddEosToken)
{
    public static TokenizerConfig Parse(string json, string file)
    {
        using var document = JsonField.Parse(json, file);
        var root = JsonField.Root(document, file);
        return new TokenizerConfig(
            TokenName(root.Optional("bos_token")),
            TokenName(root.Optional("eos_token")),
            root.Optional("add_bos_token")?.Bool(),
            root.Optional("add_eos_token")?.Bool());
    }

    private static string? TokenName(JsonField? field) => field switch
    {
        null => null,
        { Value.ValueKind: System.Text.Json.JsonValueKind.String } f => f.String(),
        { } f => f.Required("content").String(),
    };
}
