using System.Text;
using System.Text.Json;
using LongRecipe.Engine.IO;

namespace LongRecipe.Engine.Tokenization.Training;

/// <summary>
/// A trained byte-level BPE: <see cref="Tokens"/> in id order (the 256 byte symbols first, then each new
/// merged token), <see cref="Merges"/> in rank order, and the special tokens of <see cref="Spec"/>, which
/// take the ids after the tokens. Saved as Hugging Face reads it: tokenizer.json (BPE model, Llama-3's
/// Split + ByteLevel pre-tokenizer, ByteLevel decoder, a template that puts BOS first, the special tokens
/// as added tokens) and tokenizer_config.json (BOS, EOS and PAD names, model_max_length).
/// </summary>
public sealed record TrainedBpe(IReadOnlyList<string> Tokens, IReadOnlyList<(string Left, string Right)> Merges, BpeTrainingSpec Spec)
{
    /// <summary>Every id: tokens and special tokens.</summary>
    public int VocabSize => Tokens.Count + Spec.SpecialTokens.Count;

    /// <summary>The id of special token <paramref name="token"/>.</summary>
    public int SpecialId(string token)
    {
        var index = Spec.SpecialTokens.ToList().IndexOf(token);
        return index >= 0 ? Tokens.Count + index : throw new ArgumentException($"'{token}' is not a special token", nameof(token));
    }

    /// <summary>Writes tokenizer.json and tokenizer_config.json into <paramref name="directory"/> (created if missing), each atomically.</summary>
    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        AtomicFile.Write(Path.Combine(directory, "tokenizer.json"), stream => stream.Write(Encoding.UTF8.GetBytes(TokenizerJson())));
        AtomicFile.Write(Path.Combine(directory, "tokenizer_config.json"), stream => stream.Write(Encoding.UTF8.GetBytes(TokenizerConfigJson())));
    }

    /// <summary>The tokenizer.json text.</summary>
    public string TokenizerJson() => Write(json =>
    {
        json.WriteString("version", "1.0");
        json.WriteNull("truncation");
        json.WriteNull("padding");
        json.WriteStartArray("added_tokens");
        foreach (var token in Spec.SpecialTokens)
        {
            json.WriteStartObject();
            json.WriteNumber("id", SpecialId(token));
            json.WriteString("content", token);
            json.WriteBoolean("single_word", false);
            json.WriteBoolean("lstrip", false);
            json.WriteBoolean("rstrip", false);
            json.WriteBoolean("normalized", false);
            json.WriteBoolean("special", true);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteNull("normalizer");

        json.WriteStartObject("pre_tokenizer");
        json.WriteString("type", "Sequence");
        json.WriteStartArray("pretokenizers");
        json.WriteStartObject();
        json.WriteString("type", "Split");
        json.WriteStartObject("pattern");
        json.WriteString("Regex", BpeTrainer.Llama3Pattern);
        json.WriteEndObject();
        json.WriteString("behavior", "Isolated");
        json.WriteBoolean("invert", false);
        json.WriteEndObject();
        WriteByteLevel(json, addPrefixSpace: false, useRegex: false);
        json.WriteEndArray();
        json.WriteEndObject();

        json.WriteStartObject("post_processor");
        json.WriteString("type", "TemplateProcessing");
        json.WritePropertyName("single");
        WriteTemplate(json, ("A", 0));
        json.WritePropertyName("pair");
        WriteTemplate(json, ("A", 0), ("B", 1));
        json.WriteStartObject("special_tokens");
        json.WriteStartObject(Spec.BosToken);
        json.WriteString("id", Spec.BosToken);
        json.WriteStartArray("ids");
        json.WriteNumberValue(SpecialId(Spec.BosToken));
        json.WriteEndArray();
        json.WriteStartArray("tokens");
        json.WriteStringValue(Spec.BosToken);
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();

        json.WritePropertyName("decoder");
        WriteByteLevel(json, addPrefixSpace: true, useRegex: true);

        json.WriteStartObject("model");
        json.WriteString("type", "BPE");
        json.WriteNull("dropout");
        json.WriteNull("unk_token");
        json.WriteNull("continuing_subword_prefix");
        json.WriteNull("end_of_word_suffix");
        json.WriteBoolean("fuse_unk", false);
        json.WriteBoolean("byte_fallback", false);
        json.WriteBoolean("ignore_merges", false);
        json.WriteStartObject("vocab");
        for (var id = 0; id < Tokens.Count; id++) json.WriteNumber(Tokens[id], id);
        json.WriteEndObject();
        // "left right": byte-level tokens never hold a space (it is 'Ġ'), and every tokenizers version reads this form.
        json.WriteStartArray("merges");
        foreach (var (left, right) in Merges) json.WriteStringValue($"{left} {right}");
        json.WriteEndArray();
        json.WriteEndObject();
    });

    /// <summary>The tokenizer_config.json text.</summary>
    public string TokenizerConfigJson() => Write(json =>
    {
        json.WriteString("tokenizer_class", "PreTrainedTokenizerFast");
        json.WriteString("bos_token", Spec.BosToken);
        json.WriteString("eos_token", Spec.EosToken);
        json.WriteString("pad_token", Spec.PadToken);
        json.WriteNumber("model_max_length", Spec.ModelMaxLength);
        json.WriteBoolean("clean_up_tokenization_spaces", false);
    });

    private static string Write(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            body(json);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteByteLevel(Utf8JsonWriter json, bool addPrefixSpace, bool useRegex)
    {
        json.WriteStartObject();
        json.WriteString("type", "ByteLevel");
        json.WriteBoolean("add_prefix_space", addPrefixSpace);
        json.WriteBoolean("trim_offsets", true);
        json.WriteBoolean("use_regex", useRegex);
        json.WriteEndObject();
    }

    // BOS before each sequence, as Llama-3's template has it: "<bos> $A" (and "<bos> $A <bos> $B" for pairs).
    private void WriteTemplate(Utf8JsonWriter json, params (string Sequence, int TypeId)[] sequences)
    {
        json.WriteStartArray();
        foreach (var (sequence, typeId) in sequences)
        {
            json.WriteStartObject();
            json.WriteStartObject("SpecialToken");
            json.WriteString("id", Spec.BosToken);
            json.WriteNumber("type_id", typeId);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteStartObject();
            json.WriteStartObject("Sequence");
            json.WriteString("id", sequence);
            json.WriteNumber("type_id", typeId);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }
}
