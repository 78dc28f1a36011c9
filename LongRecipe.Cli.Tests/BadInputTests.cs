using System.Text.Json;

namespace LongRecipe.Cli.Tests;

/// <summary>
/// The command line's bad inputs, as regression cases: request lines (answered in place, each with its error, the
/// stream going on), flags (refused before any work, naming the flag and what it takes), run specs (refused before a
/// run exists, naming the field), and a model with NaN weights (every request answered, the numbers JSON cannot write
/// as null). Requests of one verb share one process; each flag case is a process of its own.
/// </summary>
public sealed class BadInputTests : IClassFixture<BadInputTests.Models>
{
    private static readonly string Fixtures = Path.Combine(CliProcess.RepositoryRoot, "LongRecipe.Engine.Tests", "Model", "Reference");
    private static readonly string Builtin = Path.Combine(CliProcess.RepositoryRoot, "models", "builtin");
    private static readonly string Model = Path.Combine(Fixtures, "llama-default");

    private readonly Models models;

    public BadInputTests(Models models) => this.models = models;

    /// <summary>A folder with a copy of a fixture whose final norm holds NaN, and spec files; removed afterwards.</summary>
    public sealed class Models : IDisposable
    {
        public string Folder { get; } = Directory.CreateTempSubdirectory("lr-bad-").FullName;

        public string NanModel { get; }

        /// <summary>A copy of the built-in model whose weights file lost its last byte.</summary>
        public string TruncatedModel { get; }

        public Models()
        {
            NanModel = Path.Combine(Folder, "nan-model");
            Directory.CreateDirectory(NanModel);
            foreach (var file in Directory.GetFiles(Model)) File.Copy(file, Path.Combine(NanModel, Path.GetFileName(file)));
            Weights.PoisonFirstValue(Path.Combine(NanModel, "model.safetensors"), "model.norm.weight");
            TruncatedModel = Path.Combine(Folder, "truncated-model");
            Directory.CreateDirectory(TruncatedModel);
            foreach (var file in Directory.GetFiles(Builtin)) File.Copy(file, Path.Combine(TruncatedModel, Path.GetFileName(file)));
            using var weights = File.OpenWrite(Path.Combine(TruncatedModel, "model.safetensors"));
            weights.SetLength(weights.Length - 1);
        }

        public void Dispose() => Directory.Delete(Folder, recursive: true);
    }

    // ---- request lines: one process per verb, each line answered in its place ---------------------------------------

    /// <summary>score requests to the llama-default fixture (256 words, a 64-token window): the line and the error it gets.</summary>
    public static TheoryData<string, string> ScoreRequests => new()
    {
        { """{"input_ids": [1]}""", "input_ids needs at least two tokens to score" },
        { """{"input_ids": [1, 2], "input_ids": [3, 4]}""", "the document has 'input_ids' written twice ([1, 2], then [3, 4])" },
        { """{"input_ids": [1, 999]}""", "input_ids[1] = 999 is outside the vocabulary [0, 256)" },
        { """{"input_ids": [1, -2]}""", "input_ids[1] = -2 is outside the vocabulary [0, 256)" },
        { """{"input_ids": [1, "x"]}""", "input_ids[1] must be an integer, got \"x\"" },
        { """{"input_ids": [1, 2.5]}""", "input_ids[1] must be an integer, got 2.5" },
        { """{"input_ids": [1, 1e400]}""", "input_ids[1] must be an integer" },
        { """{"input_ids": 5}""", "input_ids must be" },
        { """{"input_ids": null}""", "input_ids" },
        { """{}""", "input_ids" },
        { """{"input_ids": [1, 2], "positions": [0, 1]}""", "positions" },
        { """{"input_ids": [1, 2], "position_ids": [0]}""", "position_ids has 1 entries, input_ids 2" },
        { """{"input_ids": [1, 2], "position_ids": [3, 1]}""", "position_ids must be non-negative and strictly increasing (entry 1 is 1)" },
        { """{"input_ids": [1, 2], "position_ids": [-1, 1]}""", "position_ids must be non-negative and strictly increasing (entry 0 is -1)" },
        { """{"input_ids": [1, 2, 3], "position_ids": [0, 5, 5]}""", "strictly increasing (entry 2 is 5)" },
        { "[1, 2]", "must be" },
        { "not json", "" },
        { """{"input_ids": [1, 2]""", "" },
        { "", "empty request (one JSON object a line)" },
        { "   ", "empty request (one JSON object a line)" },
        { $$"""{"input_ids": [{{string.Join(", ", Enumerable.Repeat(1, 65))}}]}""", "input_ids has 65 tokens, more than 64 a request may hold (--max-tokens; the model's window is 64)" },
    };

    private static readonly Lazy<Task<CliProcess.Result>> Scored = new(() =>
        CliProcess.RunAsync(["score", "--model", Model], [.. ScoreRequests.Select(row => row.Data.Item1).SelectMany(line => new[] { line, Good })]));

    private const string Good = """{"input_ids": [1, 2, 3]}""";

    [Theory]
    [MemberData(nameof(ScoreRequests))]
    public async Task A_bad_score_request_gets_its_error_in_its_place_and_the_next_is_answered(string request, string error)
    {
        var result = await Scored.Value;
        Assert.Equal(1, result.ExitCode);
        var (answer, next) = Answers(result, ScoreRequests, request);
        Assert.Contains(error, answer);
        Assert.Equal(2, next.GetProperty("logprobs").GetArrayLength());
    }

    /// <summary>The error a bad request line got (in its place: line N answers line N) and the answer to the good line after it.</summary>
    private static (string Error, JsonElement Next) Answers(CliProcess.Result result, TheoryData<string, string> requests, string request)
    {
        var index = requests.Select(row => row.Data.Item1).ToList().IndexOf(request);
        Assert.Equal(2 * requests.Count, result.Stdout.Length);
        var error = JsonDocument.Parse(result.Stdout[2 * index]).RootElement.GetProperty("error").GetString()!;
        Assert.StartsWith($"line {2 * index + 1}: ", error);
        return (error, JsonDocument.Parse(result.Stdout[2 * index + 1]).RootElement);
    }

    /// <summary>generate requests to the same fixture (no tokenizer there): the line and the error it gets.</summary>
    public static TheoryData<string, string> GenerateRequests => new()
    {
        { """{"input_ids": [1, 2], "temperature": -1}""", "temperature must be a finite number ≥ 0 (0 is greedy), got -1" },
        { """{"input_ids": [1, 2], "temperature": "hot"}""", "temperature must be a finite number, got \"hot\"" },
        { """{"input_ids": [1, 2], "temperature": 1e400}""", "temperature must be a finite number" },
        { """{"input_ids": [1, 2], "top_p": 5}""", "top_p must be in (0, 1], got 5" },
        { """{"input_ids": [1, 2], "top_p": 0}""", "top_p must be in (0, 1], got 0" },
        { """{"input_ids": [1, 2], "top_k": -3}""", "top_k must be ≥ 0 (0 keeps every token), got -3" },
        { """{"input_ids": [1, 2], "seed": -1}""", "seed must be an integer ≥ 0, got -1" },
        { """{"input_ids": [1, 2], "seed": 1.5}""", "seed must be an integer ≥ 0, got 1.5" },
        { """{"input_ids": [1, 2], "max_new_tokens": 0}""", "max_new_tokens must be an integer ≥ 1, got 0" },
        { """{"input_ids": [1, 2], "max_new_tokens": 63}""", "the prompt's 2 tokens and max_new_tokens 63 make more than 64 a request may hold (--max-tokens)" },
        { """{"input_ids": []}""", "input_ids must hold at least one token" },
        { """{"input_ids": [1, 300]}""", "input_ids[1] = 300 is outside the vocabulary [0, 256)" },
        { """{"prompt": "hello"}""", "prompt needs a tokenizer: pass --tokenizer or put tokenizer.json in the model directory" },
        { """{"max_new_tokens": 4}""", "prompt or input_ids is required" },
        { """{"prompt": "hello", "input_ids": [1]}""", "give prompt or input_ids, not both" },
        { """{"input_ids": [1, 2], "stop": [3]}""", "stop" },
    };

    [Fact]
    public async Task A_tokenizer_naming_ids_past_the_models_vocabulary_is_named_as_another_models()
    {
        // The built-in tokenizer's 8k words against a fixture model of 256.
        var result = await CliProcess.RunAsync(["generate", "--model", Model, "--tokenizer", Builtin], """{"prompt": "the needle is hidden"}""");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("past the model's vocab_size 256: the tokenizer is not this model's", result.Stderr);
    }

    private static readonly Lazy<Task<CliProcess.Result>> Generated = new(() =>
        CliProcess.RunAsync(["generate", "--model", Model], [.. GenerateRequests.Select(row => row.Data.Item1).SelectMany(line => new[] { line, GoodPrompt })]));

    private const string GoodPrompt = """{"input_ids": [1, 2], "max_new_tokens": 3, "temperature": 0.7, "top_k": 5, "top_p": 0.9, "seed": 4}""";

    [Theory]
    [MemberData(nameof(GenerateRequests))]
    public async Task A_bad_generate_request_gets_its_error_in_its_place_and_the_next_is_answered(string request, string error)
    {
        var (answer, next) = Answers(await Generated.Value, GenerateRequests, request);
        Assert.Contains(error, answer);
        Assert.Equal(3, next.GetProperty("ids").GetArrayLength());
    }

    /// <summary>
    /// transform requests: the line and the error it gets (an overflow or a preview past its bounds once ended the stream or hung it; an id
    /// past int's range was cut to int, 2³² + 9 read as 9).
    /// </summary>
    public static TheoryData<string, string> TransformRequests => new()
    {
        { """{"scheme": "flt", "target": 256, "length": -1}""", "length must be an integer ≥ 1, got -1" },
        { """{"scheme": "pose", "target": 256, "length": -5}""", "length must be an integer ≥ 1, got -5" },
        { """{"scheme": "rpes", "target": 64, "input_ids": []}""", "input_ids must hold at least one token" },
        { """{"scheme": "longrecipe", "target": 64, "input_ids": [1, 4294967305, 9], "sentence_end_ids": [9]}""",
            "input_ids[1] must be an integer in [0, 2147483647], got 4294967305" },
        { """{"scheme": "longrecipe", "target": 64, "input_ids": [1, -2, 9], "sentence_end_ids": [9]}""", "input_ids[1] must be an integer ≥ 0, got -2" },
        { """{"scheme": "longrecipe", "target": 64, "input_ids": [1, 2, 9], "sentence_end_ids": [4294967305]}""",
            "sentence_end_ids[0] must be an integer in [0, 2147483647], got 4294967305" },
        { """{"scheme": "rpes", "target": 64, "length": 65}""", "length 65 exceeds target 64: the positions are drawn from [0, target)" },
        { """{"scheme": "pose", "target": 2147483647, "length": 16}""", "target must be an integer in [2, 4194304] (twice LongRoPE's largest window), got 2147483647" },
        { """{"scheme": "rpes", "target": 2147483647, "length": 16}""", "target must be an integer in [2, 4194304]" },
        { """{"scheme": "rpes", "target": 1000000000, "length": 16}""", "target must be an integer in [2, 4194304]" },
        { """{"scheme": "flt", "target": 2147483648, "length": 16}""", "target must be an integer in [2, 4194304] (twice LongRoPE's largest window), got 2147483648" },
        { """{"scheme": "flt", "target": 1, "length": 1}""", "target must be an integer in [2, 4194304]" },
        { """{"scheme": "flt", "target": 2000000, "length": 2000000, "samples": 1000}""", "samples × length = 1000 × 2000000 positions, more than the 2097152 a preview writes" },
        { """{"scheme": "rpes", "target": 4096, "length": 256, "samples": 100000}""", "samples × length = 100000 × 256 positions, more than the 2097152" },
        { """{"scheme": "rpes", "target": 4194304, "length": 2097152}""",
            "samples × length × target = 1 × 2097152 × 4194304, more than the 2⁴² a preview works through (one full-length sample at 2,097,152)" },
        { """{"scheme": "pose", "target": 4194304, "length": 131072, "samples": 16}""", "samples × length × target = 16 × 131072 × 4194304, more than the 2⁴²" },
        { """{"scheme": "rpes", "target": 2097152, "length": 1, "samples": 1024}""", "samples × target = 1024 × 2097152, more than the 2³⁰ values rpes draws from in a preview" },
        { """{"scheme": "longrecipe", "target": 2097152, "input_ids": [1, 2, 9, 3], "sentence_end_ids": [9], "samples": 1024}""",
            "samples × target = 1024 × 2097152, more than the 2³⁰ values longrecipe draws from in a preview" },
        { """{"scheme": "rpes", "target": 64, "length": 8, "samples": 0}""", "samples must be an integer ≥ 1, got 0" },
        { """{"scheme": "rpes", "target": 64, "length": 8, "bins": 5000}""", "bins must be an integer in [1, 1024], got 5000" },
        { """{"scheme": "rpes", "target": 64, "length": 8, "seed": -1}""", "seed must be an integer ≥ 0, got -1" },
        { """{"scheme": "pose", "target": 1024, "length": 1}""", "pose cuts the sequence into 2 chunks unless told otherwise, so length must be at least 2 (or give \"chunks\": 1), got 1" },
        { """{"scheme": "pose", "target": 1024, "length": 4, "chunks": 5}""", "chunks must be in [1, L = 4], got 5" },
    };

    private static readonly Lazy<Task<CliProcess.Result>> Transformed = new(() =>
        CliProcess.RunAsync(["transform"], [.. TransformRequests.Select(row => row.Data.Item1).SelectMany(line => new[] { line, GoodTransform })]));

    private const string GoodTransform = """{"scheme": "pose", "target": 64, "length": 8, "bins": 4}""";

    [Theory]
    [MemberData(nameof(TransformRequests))]
    public async Task A_bad_transform_request_gets_its_error_in_its_place_and_the_next_is_answered(string request, string error)
    {
        var (answer, next) = Answers(await Transformed.Value, TransformRequests, request);
        Assert.Contains(error, answer);
        Assert.Equal(8, next.GetProperty("position_ids")[0].GetArrayLength());
    }

    // ---- flags: refused before any work, naming the flag ----------------------------------------------------------

    /// <summary>A command line and what its error must say; every one exits 1 with "longrecipe VERB: …" on stderr.</summary>
    public static TheoryData<string[], string> BadFlags => new()
    {
        { ["score", "--model", Path.Combine(Model, "config.json")], $"{Path.Combine(Model, "config.json")} is the config file; give its folder, {Model}" },
        { ["score", "--model", Path.Combine(Model, "model.safetensors")], "is a file; give the model's directory (the folder holding config.json and the weights)" },
        { ["score", "--model", Path.Combine(Fixtures, "no-such-model")], $"{Path.Combine(Fixtures, "no-such-model")}: no such model directory" },
        { ["score", "--model", Fixtures], $"{Fixtures} has no config.json: not a Hugging Face model directory" },
        { ["score", "--model", Model, "--max-tokens", "abc"], "--max-tokens must be a whole number in [-9223372036854775808, 9223372036854775807], not 'abc'" },
        { ["score", "--model", Model, "--max-tokens", "1"], "--max-tokens must be at least 2, not 1" },
        { ["score", "--model", Model, "--max-tokens", "999999999999999"], "--max-tokens 999999999999999: a forward of 1 × 999999999999999 tokens need" },
        { ["score", "--model", Model, "--device", "tpu"], "unknown device 'tpu' (expected cpu, cuda or cuda:N)" },
        { ["score", "--model", Model, "--dtype", "f8"], "--dtype must be a floating type (f16, f32, f64, bf16), not 'f8'" },
        { ["score", "--model", Model, "--dtype", "i32"], "--dtype must be a floating type (f16, f32, f64, bf16), not 'i32'" },
        { ["score", "--model", Model, "--device", "cuda:99"], "--device cuda:99 is not on this machine (" },
        { ["score", "--model", Model, "--dytpe", "f32", "stray"], "score does not take --dytpe (did you mean --dtype?); it takes --model, --device, --dtype, --max-tokens" },
        { ["score", "--model", Model, "stray"], "score takes no argument without a --name, got 'stray'; it takes --model," },
        { ["score", "--model", Model, "--print"], "score does not take --print; it takes --model," },
        { ["transform", "--scheme", "flt"], "transform does not take --scheme; it takes no options" },
        { ["synthetic", "--kind", "short", "--out", "s.jsonl", "--count", "2", "--count", "3"], "--count is given twice; give it once (a list goes comma-separated in one: --count a,b)" },
        { ["tokenizer-train", "--out", "t", "--vocab-szie", "300", "--sources", "a.txt"],
            "tokenizer-train does not take --vocab-szie (did you mean --vocab-size?); it takes --out, --vocab-size," },
        { ["tokenizer-train", "--synthetic", "--documents", "1", "--out", Path.Combine(Model, "config.json")], $"--out {Path.Combine(Model, "config.json")} is a file, not a folder" },
        { ["run", "yarn", "--pirnt"], "run does not take --pirnt (did you mean --print?); it takes <spec.json | preset>, --data, --run, --print, --resume" },
        { ["generate", "--model", Model, "--tokenizer", Path.Combine(Fixtures, "nowhere", "tok.json")], $"{Path.Combine(Fixtures, "nowhere", "tok.json")}: no such file" },
        { ["score", "--model"], "expected '--option value', got '--model'" },
        { ["score"], "--model is required" },
        { ["tokenize", "--tokenizer", Path.Combine(Fixtures, "nowhere", "tokenizer.json")], Path.Combine(Fixtures, "nowhere", "tokenizer.json") },
        { ["eval", "--model", Builtin, "--lengths", "10000000"], "--lengths 10000000: a forward of 4 × 10000000 tokens need" },
        { ["eval", "--model", Builtin, "--lengths", "256,abc"], "--lengths must be a whole number in [-2147483648, 2147483647], not 'abc'" },
        { ["eval", "--model", Builtin, "--lengths", "99999999999"], "--lengths must be a whole number in [-2147483648, 2147483647], not '99999999999'" },
        { ["eval", "--model", Builtin, "--depths", "50,1e400"], "--depths must be a finite number, not '1e400'" },
        { ["eval", "--model", Builtin, "--depths", "NaN"], "--depths must be a finite number, not 'NaN'" },
        { ["eval", "--model", Builtin, "--depths", "50,50"], "--depths: depth 50 is given twice" },
        { ["eval", "--model", Builtin, "--seed", "-1"], "--seed must be a whole number in [0, 18446744073709551615], not '-1'" },
        { ["eval", "--model", Builtin, "--split", "train"], "--split must be test or validation, not 'train'" },
        { ["eval", "--model", Builtin, "--documents", "0"], "--documents must be at least 1, not 0" },
        { ["eval", "--model", Builtin, "--batch-size", "0"], "--batch-size must be at least 1, not 0" },
        { ["eval", "--model", Builtin, "--lengths", "10"], "--lengths: context lengths must be at least 64 tokens, not 10" },
        { ["eval", "--model", Builtin, "--suite", "foo"], "--suite: unknown suite 'foo' (expected niah, passkey, perplexity, short)" },
        { ["eval", "--model", Builtin, "--tokenizer", Path.Combine(CliProcess.RepositoryRoot, ".cache", "tokenizers", "llama3")],
            $"the tokenizer of {Path.Combine(CliProcess.RepositoryRoot, ".cache", "tokenizers", "llama3")} has 128256 ids, more than the vocab_size 8192 of {Builtin}: give the model's own tokenizer" },
        { ["analyze", "--model", Model, "--store", "x", "--window", "-1"], "--window must be at least 2 tokens, not -1" },
        { ["analyze", "--model", Model, "--store", "x", "--window", "8", "--top", "1.5"], "--top must be in (0, 1] (the share of tokens called impactful), not 1.5" },
        { ["analyze", "--model", Model, "--store", "x", "--window", "8", "--top", "0"], "--top must be in (0, 1] (the share of tokens called impactful), not 0" },
        { ["analyze", "--model", Model, "--store", "x", "--window", "8", "--documents", "0"], "--documents must be at least 1, not 0" },
        { ["analyze", "--model", Model, "--extended", Model, "--store", "x", "--window", "8"],
            "--window is not read with --extended, where the base and extended models each score the whole document; "
            + "--window N scores one model's truncated context against its full one: give --extended or --window, not both" },
        { ["synthetic", "--kind", "long", "--count", "many", "--out", "x.jsonl"], "--count must be a whole number in [-2147483648, 2147483647], not 'many'" },
        { ["synthetic", "--kind", "poems", "--out", "x.jsonl"], "--kind must be long, short or pairs, not 'poems'" },
        { ["synthetic", "--kind", "long", "--out", Fixtures], $"--out {Fixtures} is a folder; give the .jsonl file to write" },
        { ["corpus", "--sources", Fixtures, "--tokenizer", Builtin, "--out", Path.Combine(Fixtures, "no-store")], $"{Fixtures} is a folder, not a file" },
        { ["pretrain", "--tokenizer", Builtin, "--out", "x", "--lr", "1e400"], "--lr must be a finite number, not '1e400'" },
        { ["pretrain", "--tokenizer", Builtin, "--out", "x", "--lr", "1e308"], "--lr must be > 0 and at most 3.4E+38 (finite in f32, which the optimizer computes in), got 1E+308" },
        { ["pretrain", "--tokenizer", Builtin, "--out", "x", "--lr", "0"], "--lr must be > 0 and at most 3.4E+38 (finite in f32, which the optimizer computes in), got 0" },
        { ["pretrain", "--tokenizer", Builtin, "--out", Path.Combine(Fixtures, "no-such-pretrain"), "--config", "tiny", "--steps", "2", "--batch", "2", "--seq-len", "32"],
            "longrecipe pretrain: a context of 16 tokens cannot hold the pass key\n" },
        { ["pretrain", "--tokenizer", Builtin, "--out", Path.Combine(Fixtures, "no-such-run"), "--config", "tiny", "--steps", "2", "--resume"],
            $"{Path.Combine(Fixtures, "no-such-run")} holds no checkpoint to resume from" },
        // Refused before the data is built: 1000 × 100000 f32 logits over the built-in vocabulary fit no device.
        { ["pretrain", "--tokenizer", Builtin, "--out", Path.Combine(Fixtures, "no-such-pretrain"), "--config", "tiny", "--seq-len", "100000", "--batch", "1000"],
            "longrecipe pretrain: --seq-len 100000 does not fit with 1000 sequences a micro-batch: the logits of 1000 × 100000 tokens over 8192 words alone need " },
        { ["pretrain", "--tokenizer", Builtin, "--out", "x", "--steps", "1.5"], "--steps must be a whole number in [-2147483648, 2147483647], not '1.5'" },
        { ["merge", "--base", Model, "--model", Model, "--out", "x", "--alpha", "inf"], "--alpha must be a finite number, not 'inf'" },
        // Used to score, then fail inside libtorch: "index out of range in self".
        { ["analyze", "--model", Builtin, "--extended", Model, "--store", Path.Combine(Fixtures, "no-such-store")],
            $"--extended {Model} has vocab_size 256, --model {Builtin} 8192: a model pair must share its tokenizer" },
        // qwen2's q, k and v biases, which the llama base lacks, used to pass into the result unmerged.
        { ["merge", "--base", Model, "--model", Path.Combine(Fixtures, "qwen2-default"), "--out", "x"],
            $"--model {Path.Combine(Fixtures, "qwen2-default")} cannot be merged with --base {Model}: it has model.layers.0.self_attn.q_proj.bias, " },
        { ["merge", "--base", Model, "--model", ",", "--out", "x"], "--model must name at least one model directory (comma-separated), not ','" },
        { ["merge", "--base", Model, "--model", Model, "--out", "x", "--method", "ties", "--alpha", "0"], "--alpha is not read by --method ties; weighted and slerp read it" },
        { ["merge", "--base", Model, "--model", Model, "--out", "x", "--alpha", "1"], "--alpha is not read by --method average; weighted and slerp read it" },
        { ["merge", "--base", Model, "--model", Model, "--out", "x", "--method", "slerp", "--density", "0.5"], "--density is not read by --method slerp; ties reads it" },
        { ["convert", "--model", Model, "--out", "x", "--max-shard-bytes", "0"], "--max-shard-bytes must be at least 1048576 (1 MiB), not 0" },
        { ["convert", "--model", Model, "--out", "x", "--max-shard-bytes", "-5"], "--max-shard-bytes must be at least 1048576 (1 MiB), not -5" },
        { ["convert", "--model", Model, "--out", Path.Combine(Model, "config.json")], $"--out {Path.Combine(Model, "config.json")} is a file, not a folder" },
        { ["convert", "--model", Model, "--out", Path.Combine(Model, "config.json", "x")],
            $"--out {Path.Combine(Model, "config.json", "x")}: {Path.Combine(Model, "config.json")} is a file, not a folder" },
        { ["convert", "--model", Model, "--out", "x", "--max-shard-bytes", "5GB"], "--max-shard-bytes must be a whole number in [-9223372036854775808, 9223372036854775807], not '5GB'" },
        { ["rope-search", "--model", Builtin, "--factor", "1e400"], "--factor must be a finite number, not '1e400'" },
        { ["rope-search", "--model", Builtin, "--factor", "0.5"], "--factor must be a number above 1, not 0.5" },
        { ["pretrain", "--tokenizer", Builtin, "--out", Path.Combine(Fixtures, "no-such-pretrain"), "--config", "tiny", "--batch", "0"], "--batch must be at least 1, not 0" },
        { ["rope-search", "--model", Model, "--out", Model], $"--out {Model} is the folder --model reads ({Model}); write to another folder" },
        { ["rope-search", "--model", Model, "--out", Path.Combine(Model, "config.json")], $"is the folder --model reads ({Model}); write to another folder" },
        { ["tokenizer-train", "--synthetic", "--documents", "1", "--out", Model], $"--out {Model} holds a model (config.json), whose tokenizer this would replace" },
        { ["rope-search", "--model", Builtin, "--population", "-"], "--population must be a whole number in [-2147483648, 2147483647], not '-'" },
        { ["run", "--resume", "--run", "abc"], "--run must be a run id, a positive whole number, not 'abc'" },
        { ["run", "--resume", "--run", "-1"], "--run must be a run id, a positive whole number, not '-1'" },
        { ["run", "--resume", "--run", "3", "yarn"], "--resume continues a run with its own spec; leave out 'yarn'" },
        { ["run", Fixtures], $"{Fixtures} is a folder; give a spec file (.json) or a preset" },
        { ["experiment", Path.Combine(CliProcess.RepositoryRoot, "experiments", "replication", "results", "experiment.json"),
            "--data", Path.Combine(Model, "config.json")], $"--data {Path.Combine(Model, "config.json")} is a file; give the folder that holds (or will hold) runs.db" },
        { ["run", "--resume"], "--resume needs --run <id>, the run to continue" },
        { ["run", "no-such-spec.json"], "no-such-spec.json: no such spec file, and not a preset" },
        { ["experiment", Path.Combine(CliProcess.RepositoryRoot, "experiments", "replication", "results", "experiment.json"), "--report-only",
            "--data", Path.Combine(Fixtures, "no-such-data")], $"--report-only reads the runs in {Path.Combine(Fixtures, "no-such-data", "runs.db")}, which does not exist" },
    };

    [Theory]
    [MemberData(nameof(BadFlags))]
    public async Task A_bad_flag_is_refused_before_any_work_naming_the_flag(string[] arguments, string error)
    {
        var output = arguments.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault();
        var outputExisted = output is not null && Path.Exists(output);
        var result = await CliProcess.RunAsync([.. arguments, .. Data(arguments[0])]);
        // A refused command leaves no output behind it (a half-made --out folder is the start of a mixed one).
        if (output is not null && !outputExisted) Assert.False(Path.Exists(output), $"{output} was left behind");
        Assert.Equal(1, result.ExitCode);
        Assert.Empty(result.Stdout);
        Assert.Contains($"longrecipe {arguments[0]}: ", result.Stderr);
        Assert.Contains(error, result.Stderr);
    }

    /// <summary>run's store goes in the test's folder, not the repository's data/.</summary>
    private string[] Data(string verb) => verb is "run" ? ["--data", Path.Combine(models.Folder, "data")] : [];

    [Fact]
    public async Task A_dtype_libtorch_cannot_compute_in_here_is_refused_at_start_not_at_every_request()
    {
        var result = await CliProcess.RunAsync(["score", "--model", Model, "--dtype", "f16"], """{"input_ids": [1, 2, 3]}""");
        // libtorch 1.13 has no f16 matrix product on the CPU; newer ones do, and then the request is answered.
        if (result.ExitCode == 0)
            Assert.Equal(2, JsonDocument.Parse(Assert.Single(result.Stdout)).RootElement.GetProperty("logprobs").GetArrayLength());
        else
        {
            Assert.Empty(result.Stdout);
            Assert.Contains("longrecipe score: --dtype f16: this libtorch cannot compute in f16 on the cpu (", result.Stderr);
        }
    }

    // The refusal used to read the dtype off the model it had just disposed: "the tensor was used after it was disposed".
    [Fact]
    public async Task A_checkpoint_stored_in_a_dtype_libtorch_cannot_compute_in_here_is_refused_naming_the_folder()
    {
        var stored = Path.Combine(models.Folder, $"f16-{Guid.NewGuid():N}");
        Assert.Equal(0, (await CliProcess.RunAsync(["convert", "--model", Model, "--out", stored, "--dtype", "f16"])).ExitCode);
        var result = await CliProcess.RunAsync(["score", "--model", stored], """{"input_ids": [1, 2, 3]}""");
        // As above: newer libtorch computes in f16 on the CPU, and then the request is answered.
        if (result.ExitCode == 0)
            Assert.Equal(2, JsonDocument.Parse(Assert.Single(result.Stdout)).RootElement.GetProperty("logprobs").GetArrayLength());
        else
            Assert.Contains($"longrecipe score: {stored} is stored in f16: this libtorch cannot compute in f16 on the cpu (", result.Stderr);
    }

    [Fact]
    public async Task An_unknown_verb_is_named_with_the_closest_one_before_the_usage()
    {
        var result = await CliProcess.RunAsync(["scor"]);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("unknown verb 'scor' (did you mean score?)\nusage: longrecipe <verb>", result.Stderr);
    }

    /// <summary>
    /// Every option the usage shows for a verb is one the verb declares: an undeclared one would be refused. The usage is
    /// the program's own (no verb); what a verb takes is read off its refusal of an option it does not.
    /// </summary>
    [Fact]
    public async Task Every_option_in_a_verbs_usage_is_one_it_takes()
    {
        var usage = await CliProcess.RunAsync([]);
        Assert.Equal(2, usage.ExitCode);
        var documented = new Dictionary<string, HashSet<string>>();
        var verb = "";
        foreach (var line in usage.Stderr.Split('\n').Skip(1).Where(l => l.Trim().Length > 0))
        {
            if (System.Text.RegularExpressions.Regex.Match(line, "^  ([a-z-]+)") is { Success: true } start) documented[verb = start.Groups[1].Value] = [];
            documented[verb].UnionWith(System.Text.RegularExpressions.Regex.Matches(line, "--([a-z][a-z-]*)").Select(m => m.Value));
        }
        Assert.Equal(16, documented.Count);

        var refusals = await Task.WhenAll(documented.Keys.Select(v => CliProcess.RunAsync([v, "--no-such-option", "1"])));
        foreach (var (name, refused) in documented.Keys.Zip(refusals))
        {
            Assert.Equal(1, refused.ExitCode);
            var takes = refused.Stderr.Trim().Split("; it takes ")[1].Split(", ");
            Assert.True(documented[name].IsSubsetOf(takes), $"{name}: the usage shows {string.Join(", ", documented[name].Except(takes))}, which it does not take");
        }
    }

    /// <summary>convert and merge with a --dtype no checkpoint is saved in: refused before --out exists.</summary>
    [Theory]
    [InlineData("convert", "i32")]
    [InlineData("convert", "bool")]
    [InlineData("merge", "i8")]
    public async Task A_dtype_no_checkpoint_is_saved_in_is_refused_before_anything_is_written(string verb, string dtype)
    {
        var output = Path.Combine(models.Folder, $"out-{Guid.NewGuid():N}");
        var result = await CliProcess.RunAsync([verb, .. verb is "merge" ? new[] { "--base", Model } : [], "--model", Model, "--out", output, "--dtype", dtype]);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"--dtype must be a floating type (f16, f32, f64, bf16), not '{dtype}'", result.Stderr);
        Assert.False(Directory.Exists(output), $"{verb} --dtype {dtype} wrote {output}");
    }

    /// <summary>--out naming an input folder, however spelled, would overwrite the checkpoint being read.</summary>
    [Fact]
    public async Task Convert_and_merge_refuse_to_write_into_a_folder_they_read()
    {
        var copy = Path.Combine(models.Folder, $"model-{Guid.NewGuid():N}");
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(Model)) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        var link = copy + "-link";
        Directory.CreateSymbolicLink(link, copy);
        var written = Directory.GetFiles(copy).ToDictionary(f => f, File.GetLastWriteTimeUtc);

        foreach (var (arguments, option) in new (string[], string)[]
                 {
                     (["convert", "--model", copy, "--out", copy + "/"], "model"),
                     (["convert", "--model", copy, "--out", link], "model"),
                     (["convert", "--model", link, "--out", Path.Combine(copy, "..", Path.GetFileName(copy))], "model"),
                     (["merge", "--base", copy, "--model", Model, "--out", link], "base"),
                     (["merge", "--base", Model, "--model", $"{Model},{link}", "--out", copy], "model"),
                 })
        {
            var result = await CliProcess.RunAsync(arguments);
            Assert.Equal(1, result.ExitCode);
            Assert.Contains($"--out {arguments[^1]} is the folder --{option} reads", result.Stderr);
        }
        Assert.Equal(written, Directory.GetFiles(copy).ToDictionary(f => f, File.GetLastWriteTimeUtc));
    }

    // ---- run specs: refused before a run exists, naming the field ---------------------------------------------------

    /// <summary>A spec file's contents and what the error must name; none of them makes a run.</summary>
    public static TheoryData<string, string> BadSpecs => new()
    {
        { Spec("\"learning_rate\": 1e400"), "stages[0].learning_rate: must be a finite number, got 1e400" },
        { Spec("\"learning_rate\": 0"), "stages[0].learning_rate: must be > 0 and at most 3.4E+38 (finite in f32, which the optimizer computes in), got 0" },
        { Spec("\"micro_batch_size\": 1000000000"), "stages[0].micro_batch_size: the logits of 1000000000 × 128 tokens over 8192 words alone need" },
        { Spec("\"steps\": 1", eval: """{"perplexity": {"lengths": [10000000]}}"""), "eval.perplexity.lengths[0]: a forward of 4 × 10000000 tokens need" },
        { Spec("\"steps\": 1", model: "\"model\": \"/no/such/model\","), "model: /no/such/model: no such model directory" },
        { Spec("\"steps\": 1", data: """{"corpus": "/no/such/corpus.jsonl"}"""), "data.corpus: /no/such/corpus.jsonl: no such file or folder" },
        { Spec("\"steps\": 1", model: "\"device\": \"cuda:7\","), "device: cuda:7 is not on this machine" },
        { "{\"name\": \"x\", \"target_length\": 512", "(line" },
    };

    private static string Spec(string stageField, string eval = """{"perplexity": {"lengths": [256]}}""", string model = "", string data = """{"documents": 1}""") =>
        $$"""
        {"name": "bad", "target_length": 512, {{model}} {{(model.Contains("\"model\"") ? "" : "\"native_length\": 256,")}} "data": {{data}},
         "stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 128, {{stageField}}}],
         "eval": {{eval}}}
        """;

    [Theory]
    [MemberData(nameof(BadSpecs))]
    public async Task A_bad_run_spec_is_refused_at_its_field_before_a_run_is_made(string spec, string error)
    {
        var file = Path.Combine(models.Folder, $"spec-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, spec);
        var data = Path.Combine(models.Folder, $"data-{Guid.NewGuid():N}");
        var result = await CliProcess.RunAsync(["run", file, "--data", data]);
        Assert.Equal(1, result.ExitCode);
        // Every problem, what the machine lacks for the spec included, is named in the file the user wrote.
        Assert.Contains($"{file}: ", result.Stderr);
        Assert.Contains(error, result.Stderr);
        Assert.False(Directory.Exists(data), "a refused spec made the data folder");
    }

    /// <summary>
    /// A bad rule, a missing corpus, a micro-batch past memory and weights cut short (which used to be queued, the run
    /// failing once training began) are named in one answer, each in the file at its field; the store holds no run.
    /// </summary>
    [Fact]
    public async Task Every_problem_of_a_run_spec_is_named_in_one_answer_and_no_run_is_made()
    {
        var file = Path.Combine(models.Folder, $"spec-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, Spec("\"learning_rate\": 0, \"micro_batch_size\": 1000000000", model: $"\"model\": \"{models.TruncatedModel}\",",
            data: """{"corpus": "/no/such/corpus.jsonl"}"""));
        var weights = Path.Combine(models.TruncatedModel, "model.safetensors");
        await AssertRefusedWithEveryProblem("run", file,
            "stages[0].learning_rate: must be > 0", "data.corpus: /no/such/corpus.jsonl: no such file or folder",
            $"model: {weights}: tensor 'model.norm.weight': data_offsets", "stages[0].micro_batch_size: the logits of 1000000000 × 128 tokens");
    }

    /// <summary>
    /// An experiment's rules and what the machine lacks for its methods' runs are named in one answer, in the file at the
    /// experiment's paths (the rules used to answer alone; the experiment was then stored and stopped by its first run's
    /// launch, naming no method); no run is made.
    /// </summary>
    [Fact]
    public async Task Every_problem_of_an_experiment_is_named_in_one_answer_and_no_run_is_made()
    {
        var file = Path.Combine(models.Folder, $"experiment-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, """
            {"name": "bad", "seeds": [1], "parallel": 0, "eval": {"perplexity": {"lengths": [512], "samples": 1}},
             "methods": [{"name": "base", "model": "MODEL", "target_length": 512},
                         {"name": "pose", "model": "MODEL", "target_length": 512,
                          "stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 128, "micro_batch_size": 1000000000}]}]}
            """.Replace("MODEL", models.TruncatedModel));
        var weights = $"{Path.Combine(models.TruncatedModel, "model.safetensors")}: tensor 'model.norm.weight': data_offsets";
        await AssertRefusedWithEveryProblem("experiment", file,
            "parallel: must be ≥ 1, got 0", $"methods[0].model: {weights}", $"methods[1].model: {weights}",
            "methods[1].stages[0].micro_batch_size: the logits of 1000000000 × 128 tokens");
    }

    /// <summary>
    /// `longrecipe VERB FILE` on a fresh data folder fails naming each of <paramref name="problems"/> in the file, makes
    /// nothing there (no run store, no run folder), and leaves no run 1 to resume.
    /// </summary>
    private async Task AssertRefusedWithEveryProblem(string verb, string file, params string[] problems)
    {
        var data = Path.Combine(models.Folder, $"data-{Guid.NewGuid():N}");
        var result = await CliProcess.RunAsync([verb, file, "--data", data]);
        Assert.Equal(1, result.ExitCode);
        foreach (var problem in problems)
            Assert.Contains($"{file}: {problem}", result.Stderr);
        Assert.False(Directory.Exists(data), $"a refused {verb} made the data folder (its run store, a run folder)");
        var resumed = await CliProcess.RunAsync(["run", "--resume", "--run", "1", "--data", data]);
        Assert.Contains("there is no run 1", resumed.Stderr);
    }

    // ---- a model with NaN weights -------------------------------------------------------------------------------------

    [Fact]
    public async Task A_model_with_nan_weights_is_named_at_load_and_every_request_is_answered_with_nulls()
    {
        var result = await CliProcess.RunAsync(["score", "--model", models.NanModel], Good, """{"input_ids": [4, 5, 6, 7]}""");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains($"warning: {Path.Combine(models.NanModel, "model.safetensors")}: tensor 'model.norm.weight' has 1 of 32 values not finite (NaN or ±∞)", result.Stderr);
        Assert.Equal(2, result.Stdout.Length);
        foreach (var (line, count) in result.Stdout.Zip([2, 3]))
        {
            var answer = JsonDocument.Parse(line).RootElement;
            Assert.Equal(Enumerable.Repeat(JsonValueKind.Null, count), answer.GetProperty("logprobs").EnumerateArray().Select(v => v.ValueKind));
            Assert.Equal(count, answer.GetProperty("non_finite").GetInt32());
        }
    }

    // ---- a hand-made tokenizer.json -------------------------------------------------------------------------------------

    [Fact]
    public async Task A_tokenizer_with_a_token_written_twice_or_an_id_far_beyond_its_tokens_is_refused_naming_the_file()
    {
        var folder = Path.Combine(models.Folder, "hand-made-tokenizer");
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, "tokenizer.json");
        foreach (var (json, error) in new (string, string)[]
        {
            ("""{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "a": 2}, "merges": []}}""", "model.vocab has 'a' written twice (0, then 2)"),
            ("""{"model": {"type": "BPE", "vocab": {"a": 0, "x": 2147483000}, "merges": []}}""", "model.vocab gives id 2147483000 to 'x', though the file lists 2 tokens"),
        })
        {
            File.WriteAllText(file, json);
            var result = await CliProcess.RunAsync(["tokenize", "--tokenizer", folder], """{"text": "ab"}""");
            Assert.Equal(1, result.ExitCode);
            Assert.Empty(result.Stdout);
            Assert.Contains($"longrecipe tokenize: {file}: {error}", result.Stderr);
        }
    }
}
