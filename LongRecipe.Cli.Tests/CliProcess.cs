using System.Diagnostics;
using System.Text;
using LongRecipe.Tests.Support;

namespace LongRecipe.Cli.Tests;

/// <summary>
/// Runs the built longrecipe program with request lines on stdin, as `./longrecipe` does, for as long as it keeps
/// working (using CPU time): a slow machine slows it, a hang fails the test.
/// </summary>
internal static class CliProcess
{
    public static readonly string RepositoryRoot = FindRoot();

    /// <summary>The built program, longrecipe.dll, that `dotnet` runs.</summary>
    public static string Program
    {
        get
        {
            var configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd('/')))!;
            return Path.Combine(RepositoryRoot, "LongRecipe.Cli", "bin", configuration, "net10.0", "longrecipe.dll");
        }
    }

    public sealed record Result(int ExitCode, string[] Stdout, string Stderr);

    public static async Task<Result> RunAsync(string[] arguments, params string[] requestLines)
    {
        using var running = Start(arguments);
        foreach (var line in requestLines) await running.Process.StandardInput.WriteLineAsync(line);
        running.Process.StandardInput.Close();
        return await running.EndAsync();
    }

    /// <summary>
    /// Starts the program and leaves it running: the test reads its stderr as it comes, stops or kills it.
    /// <paramref name="environment"/> adds variables (LAB_ROOT, to run it as if outside the repository).
    /// </summary>
    public static Running Start(string[] arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        start.ArgumentList.Add(Program);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        return new Running(Process.Start(start)!, $"longrecipe {string.Join(' ', arguments)}");
    }

    /// <summary>A started program: its stderr so far, and ways to wait for it, interrupt it (Ctrl-C) or kill it (SIGKILL).</summary>
    public sealed class Running : IDisposable
    {
        private readonly StringBuilder stderr = new();
        private readonly Task<string> stdout;
        private readonly Task stderrRead;
        private readonly string command;

        public Running(Process process, string command)
        {
            (Process, this.command) = (process, command);
            stdout = process.StandardOutput.ReadToEndAsync();
            stderrRead = Task.Run(async () =>
            {
                var buffer = new char[4096];
                int read;
                while ((read = await process.StandardError.ReadAsync(buffer)) > 0)
                    lock (stderr) stderr.Append(buffer, 0, read);
            });
        }

        public Process Process { get; }

        public string Stderr
        {
            get { lock (stderr) return stderr.ToString(); }
        }

        /// <summary>Until stderr shows <paramref name="text"/>, while the program works; fails when it ends first.</summary>
        public Task UntilStderr(string text) => ProgressWait.Until(() => Task.FromResult(
                Stderr.Contains(text, StringComparison.Ordinal) ? null
                : Process.HasExited ? throw new InvalidOperationException($"{command} ended before printing '{text}':\n{Stderr}")
                : $"'{text}' not on stderr yet"),
            () => (ProgressWait.ProcessSignal(Process), Stderr.Length), $"{command} printing '{text}'");

        /// <summary>Sends SIGINT, as Ctrl-C does.</summary>
        public void Interrupt() => Signal("-INT");

        /// <summary>Sends SIGTERM, as kill and job schedulers do.</summary>
        public void Terminate() => Signal("-TERM");

        private void Signal(string signal) =>
            System.Diagnostics.Process.Start("kill", [signal, Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();

        /// <summary>Kills the program at once (SIGKILL): no cleanup runs.</summary>
        public void Kill()
        {
            Process.Kill();
            Process.WaitForExit();
        }

        /// <summary>Writes <paramref name="bytes"/> to stdin as they are (bytes that are not UTF-8 included) and closes it.</summary>
        public async Task<Result> EndAsync(byte[] bytes)
        {
            await Process.StandardInput.BaseStream.WriteAsync(bytes);
            Process.StandardInput.Close();
            return await EndAsync();
        }

        public async Task<Result> EndAsync()
        {
            await ProgressWait.For(Process.WaitForExitAsync(), () => ProgressWait.ProcessSignal(Process), command);
            await stderrRead;
            return new Result(Process.ExitCode, (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries), Stderr);
        }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "LongRecipe.sln"))) return dir.FullName;
        throw new InvalidOperationException("LongRecipe.sln not found above the test binaries");
    }
}
