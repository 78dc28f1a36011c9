using System.Text.Json;

namespace LongRecipe.Cli.Tests;

/// <summary>pretrain end to end on the CPU: a tiny model on the built-in corpus, saved where transformers (and score) load it.</summary>
public class PretrainTests
{
    // The built-in model's tokenizer: pretraining needs an end-of-text token to pad retrieval samples with.
    private static readonly string Tokenizer = Path.Combine(CliProcess.RepositoryRoot, "models", "builtin");

    /// <summary>Runs <paramref name="test"/> with a fresh folder, deleted afterwards.</summary>
    private static async Task InTemporaryFolder(Func<string, Task> test)
    {
        var folder = Directory.CreateTempSubdirectory("lr-cli-").FullName;
        try
        {
            await test(folder);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public Task Pretrain_saves_a_model_that_loads_and_whose_loss_went_down() => InTemporaryFolder(async folder =>
    {
        var output = Path.Combine(folder, "model");
        string[] arguments = ["pretrain", "--tokenizer", Tokenizer, "--out", output, "--config", "tiny", "--steps", "30", "--batch", "4",
            "--seq-len", "160", "--lr", "3e-3", "--warmup", "3", "--checkpoint-every", "10", "--seed", "4"];

        var result = await CliProcess.RunAsync(arguments);

        Assert.True(result.ExitCode == 0, result.Stderr);
        var summary = JsonDocument.Parse(result.Stdout.Single()).RootElement;
        Assert.Equal("completed", summary.GetProperty("status").GetString());
        Assert.Equal(30, summary.GetProperty("steps").GetInt32());
        Assert.Equal(30 * 4 * 160, summary.GetProperty("tokens").GetInt64());
        var (first, last) = (summary.GetProperty("first_loss").GetDouble(), summary.GetProperty("last_loss").GetDouble());
        Assert.True(last < first - 1, $"loss went from {first} to {last}");
        Assert.Contains("step 30/30", result.Stderr);
        Assert.True(File.Exists(Path.Combine(output, "tokenizer.json")));
        Assert.Equal(["step-000020", "step-000030"], Directory.GetDirectories(Path.Combine(output, "checkpoints")).Select(Path.GetFileName).Order());
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "config.json"))))
        {
            // Sized to the tokenizer: its largest id, of the vocabulary and the added special tokens, + 1.
            using var tokenizerJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(Tokenizer, "tokenizer.json")));
            var ids = tokenizerJson.RootElement.GetProperty("model").GetProperty("vocab").EnumerateObject().Select(p => p.Value.GetInt32())
                .Concat(tokenizerJson.RootElement.GetProperty("added_tokens").EnumerateArray().Select(t => t.GetProperty("id").GetInt32()));
            Assert.Equal(ids.Max() + 1, config.RootElement.GetProperty("vocab_size").GetInt32());
            Assert.Equal(160, config.RootElement.GetProperty("max_position_embeddings").GetInt32());
        }

        // The saved directory loads as a model: score answers a request with it.
        var scored = await CliProcess.RunAsync(["score", "--model", output], """{"input_ids": [84, 104, 101, 32]}""");
        Assert.Equal(0, scored.ExitCode);
        Assert.Equal(3, JsonDocument.Parse(scored.Stdout[0]).RootElement.GetProperty("logprobs").GetArrayLength());

        // The finished run resumes to nothing more to do; without --resume its checkpoints are not overwritten.
        var again = await CliProcess.RunAsync(arguments);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains($"{output} already holds a pretraining run's checkpoints (newest step-000030); resume it, or choose another folder", again.Stderr);
        // Nor is a folder holding anything else, a model above all: its files would be replaced by the new model's.
        var model = await CliProcess.RunAsync([.. arguments[..4], Tokenizer, .. arguments[5..]]);
        Assert.Equal(1, model.ExitCode);
        Assert.Contains($"{Tokenizer} is not empty; pretraining saves a new model there", model.Stderr);
        var resumed = await CliProcess.RunAsync([.. arguments, "--resume"]);
        Assert.Equal(0, resumed.ExitCode);
        Assert.Equal(last, JsonDocument.Parse(resumed.Stdout.Single()).RootElement.GetProperty("last_loss").GetDouble());
    });

    [Fact]
    public Task Pretrain_with_8_bit_optimizer_state_learns_and_checkpoints_the_codes() => InTemporaryFolder(async folder =>
    {
        var output = Path.Combine(folder, "model");
        string[] arguments = ["pretrain", "--tokenizer", Tokenizer, "--out", output, "--config", "tiny", "--steps", "30", "--batch", "4",
            "--seq-len", "160", "--lr", "3e-3", "--warmup", "3", "--checkpoint-every", "30", "--seed", "4", "--optimizer-state", "int8_blockwise"];

        var result = await CliProcess.RunAsync(arguments);

        Assert.True(result.ExitCode == 0, result.Stderr);
        var summary = JsonDocument.Parse(result.Stdout.Single()).RootElement;
        var (first, last) = (summary.GetProperty("first_loss").GetDouble(), summary.GetProperty("last_loss").GetDouble());
        Assert.True(last < first - 1, $"loss went from {first} to {last}");
        // optimizer.safetensors holds each moment as u8 codes and f32 block maxima: its header says so.
        var state = File.ReadAllBytes(Path.Combine(output, "checkpoints", "step-000030", "optimizer.safetensors"));
        var header = JsonDocument.Parse(state.AsMemory(8, (int)BitConverter.ToInt64(state, 0))).RootElement;
        var embedding = header.GetProperty("exp_avg_codes.model.embed_tokens.weight");
        Assert.Equal("U8", embedding.GetProperty("dtype").GetString());
        Assert.Equal("F32", header.GetProperty("exp_avg_sq_root_absmax.model.embed_tokens.weight").GetProperty("dtype").GetString());
        Assert.False(header.TryGetProperty("exp_avg.model.embed_tokens.weight", out _));

        var refused = await CliProcess.RunAsync([.. arguments[..4], Path.Combine(folder, "other"), .. arguments[5..^1], "int4"]);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("--optimizer-state: unknown optimizer state 'int4' (expected f32, bf16_stochastic, int8_blockwise)", refused.Stderr);
    });

    [Fact]
    public Task Pretrain_recording_its_step_as_a_cuda_graph_on_the_cpu_is_refused_before_anything_is_written() => InTemporaryFolder(async folder =>
    {
        var output = Path.Combine(folder, "model");

        var refused = await CliProcess.RunAsync(["pretrain", "--tokenizer", Tokenizer, "--out", output, "--config", "tiny", "--steps", "2", "--cuda-graph"]);

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("--cuda-graph records the step on a CUDA device, and Device is cpu", refused.Stderr);
        Assert.False(Path.Exists(output));
    });
}
