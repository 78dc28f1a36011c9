using System.Text.Json.Nodes;
using LongRecipe.Engine.IO;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Tokenization;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Cli;

/// <summary>tokenize: {"text", "add_special_tokens"} → {"ids"}.</summary>
public static class TokenizeVerb
{
    public static async Task<int> RunAsync(Arguments args)
    {
        var tokenizer = Tokenizer.Load(args.Required("tokenizer"));
        using var cancel = new Interruption();
        return await JsonLines.ServeAsync(request =>
        {
            request.OnlyFields("text", "add_special_tokens");
            var ids = tokenizer.Encode(request.Required("text").String(), request.Bool("add_special_tokens", true));
            return new JsonObject { ["ids"] = new JsonArray(ids.Select(i => (JsonNode)i).ToArray()) };
        }, cancel.Token);
    }
}

/// <summary>
/// score: {"input_ids", "position_ids"?} → {"logprobs"}, n−1 values for n ids; a log-probability that is not finite
/// (a model with NaN weights) is null, and "non_finite" says how many. At most --max-tokens ids a request.
/// </summary>
public static class ScoreVerb
{
    public static async Task<int> RunAsync(Arguments args)
    {
        using var model = args.LoadModel(args.Required("model"), args.Device);
        var limit = TokenLimit(args, model.Config);
        using var cancel = new Interruption();
        return await JsonLines.ServeAsync(request =>
        {
            request.OnlyFields("input_ids", "position_ids");
            var ids = request.Required("input_ids").Longs();
            var positions = request.Optional("position_ids")?.Longs();
            Validate(model.Config, ids, positions, limit);
            var (logprobs, nonFinite) = JsonLines.Numbers(Scoring.LogProbs(model, ids, positions));
            var result = new JsonObject { ["logprobs"] = logprobs };
            if (nonFinite > 0) result["non_finite"] = nonFinite;
            return result;
        }, cancel.Token);
    }

    /// <summary>
    /// The most tokens one request may hold: --max-tokens, by default the model's window (max_position_embeddings);
    /// never more than one forward can hold in the device's memory (<see cref="MemoryBounds.ForwardBytes"/>).
    /// </summary>
    internal static long TokenLimit(Arguments args, LlamaConfig config)
    {
        var fits = MemoryBounds.LongestForward(config, args.Device);
        var limit = args.Whole("max-tokens", Math.Min(config.MaxPositionEmbeddings, fits));
        if (limit < 2) throw new ArgumentException($"--max-tokens must be at least 2, not {limit}");
        return limit <= fits ? limit : throw new ArgumentException($"--max-tokens {limit}: {MemoryBounds.ForwardProblem(config, 1, limit, args.Device)}");
    }

    /// <summary>Checks a request against the model before any tensor is made, so the message names the field.</summary>
    internal static void Validate(LlamaConfig config, long[] ids, long[]? positions, long limit)
    {
        if (ids.Length < 2) throw new RequestException("input_ids needs at least two tokens to score");
        if (ids.Length > limit)
            throw new RequestException($"input_ids has {ids.Length} tokens, more than {limit} a request may hold (--max-tokens; the model's window is {config.MaxPositionEmbeddings})");
        for (var i = 0; i < ids.Length; i++)
            if (ids[i] < 0 || ids[i] >= config.VocabSize)
                throw new RequestException($"input_ids[{i}] = {ids[i]} is outside the vocabulary [0, {config.VocabSize})");
        if (positions is null) return;
        if (positions.Length != ids.Length)
            throw new RequestException($"position_ids has {positions.Length} entries, input_ids {ids.Length}");
        for (var i = 0; i < positions.Length; i++)
            if (positions[i] < 0 || (i > 0 && positions[i] <= positions[i - 1]))
                throw new RequestException($"position_ids must be non-negative and strictly increasing (entry {i} is {positions[i]})");
    }
}

/// <summary>generate: {"prompt" | "input_ids", "max_new_tokens", "temperature", "top_k", "top_p", "seed"} → {"ids", "text"}.</summary>
public static class GenerateVerb
{
    public static async Task<int> RunAsync(Arguments args)
    {
        var directory = args.Required("model");
        // A --tokenizer given must load (a wrong path is named now, not at the first prompt); the model's own is optional.
        var tokenizer = args.Optional("tokenizer") is { } path ? Tokenizer.Load(path)
            : File.Exists(Path.Combine(directory, "tokenizer.json")) ? Tokenizer.Load(directory)
            : null;
        using var model = args.LoadModel(directory, args.Device);
        var limit = ScoreVerb.TokenLimit(args, model.Config);
        using var cancel = new Interruption();
        return await JsonLines.ServeAsync(request =>
        {
            request.OnlyFields("prompt", "input_ids", "max_new_tokens", "temperature", "top_k", "top_p", "seed");
            var prompt = Prompt(request, tokenizer, model.Config.VocabSize);
            if (prompt.Length == 0) throw new RequestException("input_ids must hold at least one token");
            var maxNew = request.Optional("max_new_tokens")?.Int(min: 1) ?? 32;
            ScoreVerb.Validate(model.Config, [.. prompt, 0], null, limit);
            if (prompt.Length + (long)maxNew > limit)
                throw new RequestException($"the prompt's {prompt.Length} tokens and max_new_tokens {maxNew} make more than {limit} a request may hold (--max-tokens)");
            var sampling = new SamplingOptions(
                request.Optional("temperature")?.Double() ?? 0,
                request.Optional("top_k")?.Int() ?? 0,
                request.Optional("top_p")?.Double() ?? 1,
                request.Optional("seed")?.ULong() ?? 0).Validate();
            var stop = tokenizer?.EosId is { } eos ? new HashSet<long> { eos } : null;
            var ids = Generation.Generate(model, prompt, maxNew, sampling, stop, cancel.Token).ToBlockingEnumerable().ToArray();
            var result = new JsonObject { ["ids"] = new JsonArray(ids.Select(i => (JsonNode)i).ToArray()) };
            if (tokenizer is not null) result["text"] = tokenizer.Decode(ids.Select(i => (int)i).ToArray(), skipSpecialTokens: true);
            return result;
        }, cancel.Token);
    }

    private static long[] Prompt(JsonField request, Tokenizer? tokenizer, int vocabSize)
    {
        if (request.Has("input_ids") && request.Has("prompt")) throw new RequestException("give prompt or input_ids, not both");
        if (request.Optional("input_ids")?.Longs() is { } ids) return ids;
        var text = request.Optional("prompt")?.String() ?? throw new RequestException("prompt or input_ids is required");
        if (tokenizer is null) throw new RequestException("prompt needs a tokenizer: pass --tokenizer or put tokenizer.json in the model directory");
        var encoded = tokenizer.Encode(text, addSpecialTokens: true).Select(i => (long)i).ToArray();
        // A tokenizer that names ids the model has no embedding for belongs to another model.
        if (encoded.Where(i => i >= vocabSize).Select(i => (long?)i).FirstOrDefault() is { } outside)
            throw new RequestException($"the tokenizer gives id {outside} for this prompt, past the model's vocab_size {vocabSize}: the tokenizer is not this model's");
        return encoded;
    }
}

/// <summary>
/// convert: load a model directory and save it again (another dtype, other shards), with its tokenizer files, as
/// transformers reads it. A RoPE transformers would compute differently (LongRoPE's n̂ &gt; 0) is refused before anything
/// is written; a cancelled or failed save leaves --out as it was (<see cref="PretrainedModel.SaveWhole"/>).
/// </summary>
public static class ConvertVerb
{
    // Smaller shards are a slip (--max-shard-bytes 5 meant as 5 GB) that writes a file per tensor; 1 MiB still splits
    // even the built-in 16 MB model.
    private const long MinShardBytes = 1 << 20;

    public static Task<int> RunAsync(Arguments args)
    {
        var directory = args.Required("model");
        var output = Arguments.OutputFolder(args.Required("out"), ("model", directory));
        var shardBytes = args.Whole("max-shard-bytes", PretrainedModel.DefaultShardBytes);
        if (shardBytes < MinShardBytes) throw new ArgumentException($"--max-shard-bytes must be at least {MinShardBytes} (1 MiB), not {shardBytes}");
        PretrainedModel.RequireDirectory(directory);
        var configFile = Path.Combine(directory, PretrainedModel.ConfigFile);
        if (LlamaConfig.Load(configFile).RopeScaling.TransformersProblem() is { } problem)
            throw new ArgumentException($"{configFile}: {problem}");
        using var cancel = new Interruption();
        using var model = args.LoadModel(directory, device: null);
        PretrainedModel.SaveWhole(model, output, directory, shardBytes, cancel.Token);
        Console.Error.WriteLine($"saved {model.Parameters.Count} tensors ({model.DType.ShortName()}) to {output}");
        return Task.FromResult(0);
    }
}
