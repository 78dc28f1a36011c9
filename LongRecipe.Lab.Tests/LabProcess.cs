using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using LongRecipe.Tests.Support;

namespace LongRecipe.Lab.Tests;

/// <summary>
/// The built Lab started as <c>dotnet LongRecipe.Lab.dll --urls http://127.0.0.1:PORT</c> on a free
/// port, from an unrelated working folder so that it must find the repository root by itself, with
/// its data directory in a fresh temporary folder (removed afterwards).
/// </summary>
public class LabProcess : IAsyncLifetime
{
    private readonly StringBuilder output = new();
    private Process? process;

    public HttpClient Http { get; private set; } = null!;

    public string Url { get; private set; } = "";

    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("lab-data-").FullName;

    /// <summary>Fills the data directory before the Lab starts.</summary>
    protected virtual void Prepare(string dataDirectory) { }

    /// <summary>The address the Lab listens on; clients reach it at <see cref="Url"/>, on loopback, either way.</summary>
    protected virtual string Listen(int port) => $"http://127.0.0.1:{port}";

    /// <summary>Settings for the Lab's environment beyond its data directory (Lab__Security__…, say).</summary>
    protected virtual IEnumerable<(string Name, string Value)> Settings => [];

    public async ValueTask InitializeAsync()
    {
        var dll = typeof(LabProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "LabDll").Value!;
        if (!File.Exists(dll)) throw new FileNotFoundException("The Lab is not built.", dll);
        Prepare(DataDirectory);

        var port = FreePort();
        Url = $"http://127.0.0.1:{port}";
        // DOTNET_HOST_PATH is the dotnet that runs `dotnet test`; the Lab gets the same one.
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            ArgumentList = { dll, "--urls", Listen(port) },
            WorkingDirectory = Path.GetTempPath(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment.Remove("LAB_ROOT");
        start.Environment["Lab__DataDirectory"] = DataDirectory;
        foreach (var (name, value) in Settings) start.Environment[name] = value;
        process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        Http = new HttpClient { BaseAddress = new Uri(Url) };
        await WaitUntilAnswering();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (process is not null)
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            process.Dispose();
        }
        Directory.Delete(DataDirectory, recursive: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>What the Lab has written to stdout and stderr so far.</summary>
    public string Output
    {
        get { lock (output) return output.ToString(); }
    }

    /// <summary>The Lab's progress: the CPU time it has used and what it has printed (see <see cref="ProgressWait"/>).</summary>
    public object Progress() => (ProgressWait.ProcessSignal(process!), Output.Length);

    /// <summary>Until the Lab answers, for as long as it keeps starting up.</summary>
    private Task WaitUntilAnswering() => ProgressWait.Until(async () =>
    {
        if (process!.HasExited) throw new InvalidOperationException($"The Lab exited with {process.ExitCode}:\n{Output}");
        try
        {
            using var response = await Http.GetAsync("/");
            return null;
        }
        catch (HttpRequestException e)
        {
            return $"the Lab does not answer yet ({e.Message}):\n{Output}";
        }
    }, Progress, "starting the Lab");

    private void Append(string? line)
    {
        if (line is null) return;
        lock (output) output.AppendLine(line);
    }

    internal static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
