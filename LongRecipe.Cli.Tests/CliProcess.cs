using System.Diagnostics;
using LongRecipe.Tests.Support;

namespace LongRecipe.Cli.Tests;

/// <summary>
/// Runs the built longrecipe program with request lines on stdin, as `./longrecipe` does, for as long as it keeps
/// working (using CPU time): a slow machine slows it, a hang fails the test.
/// </summary>
internal static class CliProcess
{
    public static readonly string RepositoryRoot = FindRoot();

    public sealed record Result(int ExitCode, string[] Stdout, string Stderr);

    public static async Task<Result> RunAsync(string[] arguments, params string[] requestLines)
    {
        var configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd('/')))!;
        var program = Path.Combine(RepositoryRoot, "LongRecipe.Cli", "bin", configuration, "net10.0", "longrecipe.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(program);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        foreach (var line in requestLines) await process.StandardInput.WriteLineAsync(line);
        process.StandardInput.Close();
        try
        {
            await ProgressWait.For(process.WaitForExitAsync(), () => ProgressWait.ProcessSignal(process), $"longrecipe {string.Join(' ', arguments)}");
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        return new Result(process.ExitCode, (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries), await stderr);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "LongRecipe.sln"))) return dir.FullName;
        throw new InvalidOperationException("LongRecipe.sln not found above the test binaries");
    }
}
