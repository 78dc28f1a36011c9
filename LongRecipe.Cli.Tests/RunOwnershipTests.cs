using System.Text.Json;

namespace LongRecipe.Cli.Tests;

/// <summary>
/// Two processes and one run, as a user meets them: `run --resume` of a run another process is training is refused,
/// naming that process; once that process is killed (SIGKILL, no cleanup), the run reads Interrupted at once and
/// resumes here, saying that it restarts from step 1 when it had written no checkpoint.
/// </summary>
public class RunOwnershipTests
{
    [Fact]
    public async Task A_live_run_is_not_resumed_twice_and_a_killed_one_resumes_from_step_1()
    {
        var folder = Directory.CreateTempSubdirectory("lr-owner-").FullName;
        try
        {
            // More steps than the test waits for, and no checkpoint before the last: the runs are stopped part way.
            var spec = Path.Combine(folder, "long.json");
            File.WriteAllText(spec, """
                {"name": "long", "target_length": 512, "native_length": 256, "data": {"documents": 2},
                 "stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 128, "steps": 100000,
                             "micro_batch_size": 1, "learning_rate": 1e-4, "checkpoint_every": 100000}],
                 "eval": {"perplexity": {"lengths": [256], "samples": 1}}}
                """);
            var data = Path.Combine(folder, "data");

            using var first = CliProcess.Start(["run", spec, "--data", data]);
            await first.UntilStderr("extend 1/100000");
            var second = await CliProcess.RunAsync(["run", "--resume", "--run", "1", "--data", data]);
            Assert.Equal(1, second.ExitCode);
            Assert.Matches($@"longrecipe run: run 1 is running in process {first.Process.Id} on {Environment.MachineName} \(its lease renewed \d+ s ago\); " +
                           "cancel it there, or wait for it to end", second.Stderr);

            first.Kill();
            using var third = CliProcess.Start(["run", "--resume", "--run", "1", "--data", data]);
            await third.UntilStderr("extend 1/100000");
            Assert.Contains("[extend] extend has no checkpoint in ", third.Stderr);
            Assert.Contains(" (it stopped before its first, or they were removed): it restarts from step 1", third.Stderr);
            third.Interrupt();
            var ended = await third.EndAsync();
            var summary = JsonDocument.Parse(ended.Stdout[^1]).RootElement;
            Assert.Equal(("cancelled", 1), (summary.GetProperty("status").GetString(), summary.GetProperty("run").GetInt32()));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
