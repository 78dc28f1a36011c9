using System.ComponentModel;
using System.Diagnostics;

namespace LongRecipe.Engine.Corpora.Packages;

/// <summary>A package could not be fetched or read; the message names the package (and the program that failed).</summary>
public sealed class PackageException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Runs the programs the corpus builder leans on (apt-get, npm, dpkg-deb, the KJV's bible): arguments passed
/// as a list (no shell), stderr collected for the error message, the whole process tree killed on cancel.
/// </summary>
internal static class ExternalProgram
{
    // The last characters of stderr an error message quotes.
    private const int ErrorTail = 600;

    /// <summary>Runs to the end and returns stdout; a non-zero exit throws with the program's stderr.</summary>
    public static string Run(string program, IReadOnlyList<string> arguments, string? workingDirectory, CancellationToken cancel) =>
        Read(program, arguments, workingDirectory, stdout =>
        {
            using var reader = new StreamReader(stdout, leaveOpen: true);
            return reader.ReadToEnd();
        }, cancel);

    /// <summary>Runs, handing stdout as a stream to <paramref name="read"/> (e.g. a tar archive), and checks the exit.</summary>
    public static T Read<T>(string program, IReadOnlyList<string> arguments, string? workingDirectory, Func<Stream, T> read, CancellationToken cancel)
    {
        cancel.ThrowIfCancellationRequested();
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        var command = $"{program} {string.Join(' ', arguments)}";

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new PackageException($"{command}: cannot start {program} ({e.Message}); is it installed?", e);
        }
        process.StandardInput.Close();
        // Read concurrently, so a chatty stderr cannot fill its pipe and stall the program.
        var errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var kill = cancel.Register(() => Kill(process));
        T result;
        try
        {
            result = read(process.StandardOutput.BaseStream);
            // Drain what the reader left, so the program can exit.
            process.StandardOutput.BaseStream.CopyTo(Stream.Null);
        }
        catch when (cancel.IsCancellationRequested)
        {
            Kill(process);
            process.WaitForExit();
            throw new OperationCanceledException(cancel);
        }
        catch
        {
            Kill(process);
            process.WaitForExit();
            throw;
        }
        process.WaitForExit();
        cancel.ThrowIfCancellationRequested();
        if (process.ExitCode != 0)
        {
            var stderr = errors.Result.Trim();
            if (stderr.Length > ErrorTail) stderr = "…" + stderr[^ErrorTail..];
            throw new PackageException($"{command} exited with code {process.ExitCode}{(stderr.Length > 0 ? $": {stderr}" : "")}");
        }
        return result;
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }
}
