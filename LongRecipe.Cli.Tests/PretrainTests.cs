using System.Text.Json;

namespace LongRecipe.Cli.Tests;

/// <summary>pretrain end to end on the CPU: a tiny model on the built-in corpus, saved where transformers (and score) load it.</summary>
public class PretrainTests
{
    [Fact]
    public async Task Pretrain_saves_a_model_that_loads_and_whose_loss_went_down()
    {
        var folder = Directory.CreateTempSubdirectory("lr-cli-").FullName;
        try
        {
            // The built-in model's tokenizer: pretraining needs an end-of-text token to pad retrieval samples with.
            var tokenizer = Path.Combine(CliProcess.RepositoryRoot, "models", "builtin");
            var output = Path.Combine(folder, "model");
            string[] arguments = ["pretrain", "--tokenizer", tokenizer, "--out", output, "--config", "tiny", "--steps", "30", "--batch", "4",
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
                using var tokenizerJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(tokenizer, "tokenizer.json")));
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
            Assert.Contains("already holds checkpoints", JsonDocument.Parse(again.Stdout.Single()).RootElement.GetProperty("error").GetString());
            var resumed = await CliProcess.RunAsync([.. arguments, "--resume"]);
            Assert.Equal(0, resumed.ExitCode);
            Assert.Equal(last, JsonDocument.Parse(resumed.Stdout.Single()).RootElement.GetProperty("last_loss").GetDouble());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
