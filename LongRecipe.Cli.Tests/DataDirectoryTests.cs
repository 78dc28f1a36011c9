using System.Diagnostics;
using LongRecipe.Tests.Support;

namespace LongRecipe.Cli.Tests;

/// <summary>
/// A data directory on a full disk and on a read-only one, for real: a small tmpfs mounted in a user and mount
/// namespace of its own (unshare -rm, no privileges needed where the kernel allows them; skipped elsewhere). The
/// run store says which it is and that its data is intact, and it is: the run stored before reads back afterwards.
/// </summary>
public class DataDirectoryTests
{
    private static bool Namespaces()
    {
        using var probe = Process.Start(new ProcessStartInfo("unshare", ["-rm", "true"]) { RedirectStandardError = true })!;
        probe.WaitForExit();
        return probe.ExitCode == 0;
    }

    /// <summary>Runs a shell script in namespaces of its own (its mounts vanish with it); stdout and stderr together.</summary>
    private static async Task<string> InNamespace(string script)
    {
        using var process = Process.Start(new ProcessStartInfo("unshare", ["-rm", "sh", "-c", script])
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await ProgressWait.For(process.WaitForExitAsync(), () => ProgressWait.ProcessSignal(process), "the namespaced script");
        return await output + await errors;
    }

    [Fact]
    public async Task A_full_disk_and_a_read_only_one_are_named_and_the_store_they_hold_is_intact()
    {
        Assert.SkipUnless(Namespaces(), "needs unprivileged user and mount namespaces (unshare -rm) to mount a small tmpfs");
        var folder = Directory.CreateTempSubdirectory("lr-disk-").FullName;
        try
        {
            // A training-free run stored first, on an ordinary disk.
            var spec = Path.Combine(folder, "yarn.json");
            File.WriteAllText(spec, """
                {"name": "yarn-512", "target_length": 512, "native_length": 256,
                 "rope_scaling": {"rope_type": "yarn", "factor": 2}, "eval": {"perplexity": {"lengths": [512], "samples": 1}}}
                """);
            var data = Path.Combine(folder, "data");
            Assert.Equal(0, (await CliProcess.RunAsync(["run", spec, "--data", data])).ExitCode);
            var (disk, store) = (Path.Combine(folder, "disk"), Path.Combine(folder, "disk", "data"));
            Directory.CreateDirectory(disk);
            var cli = $"dotnet {CliProcess.Program}";
            var copy = $"mount -t tmpfs -o size=4m tmpfs {disk} && mkdir {store} && cp {data}/runs.db {store}/";
            var resume = $"{cli} run --resume --run 1 --data {store}";

            var full = await InNamespace($"""
                {copy} && (dd if=/dev/zero of={disk}/fill bs=16k 2>/dev/null; true)
                {cli} run {spec} --data {store}; echo "exit $?"
                rm {disk}/fill; {resume}
                """);
            Assert.Contains($"longrecipe run: {store}/runs.db: cannot ", full);
            Assert.Contains($"the disk holding {store} is full (", full);
            Assert.Contains("free some space and try again; what the store held before is intact (SQLite commits whole transactions only)", full);
            Assert.Contains("exit 1", full);
            // Space freed, the stored run is there as it was: completed.
            Assert.Contains("longrecipe run: run 1 is completed; only interrupted, cancelled or failed runs resume", full);

            var readOnly = await InNamespace($"""
                {copy} && mount -o remount,ro {disk}
                {cli} run {spec} --data {store}; echo "exit $?"
                {resume}
                """);
            Assert.Contains($"longrecipe run: {store}/runs.db: cannot ", readOnly);
            Assert.Contains($"it is read-only here (the file, {store} or its disk cannot be written); make it writable, or copy the data directory somewhere that is", readOnly);
            Assert.Contains("exit 1", readOnly);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
