using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace LongRecipe.LabBench;

/// <summary>
/// The built Lab as its own process on a fresh data directory and a free loopback port, optionally pinned to some
/// cores (taskset, with as many libtorch threads); its CPU time and resident memory read from /proc.
/// </summary>
public sealed class LabServer : IDisposable
{
    private readonly Process process;

    private LabServer(Process process, Uri url, string data) => (this.process, Url, DataDirectory) = (process, url, data);

    public Uri Url { get; }

    /// <summary>The Lab's data directory, a fresh temporary folder removed with the server.</summary>
    public string DataDirectory { get; }

    /// <summary>Starts <paramref name="labDll"/>; with <paramref name="cpus"/> (a taskset list such as "0" or "0-3") it runs on those cores only.</summary>
    public static LabServer Start(string labDll, string? cpus = null)
    {
        var data = Directory.CreateTempSubdirectory("lab-bench-").FullName;
        var url = new Uri($"http://127.0.0.1:{FreePort()}");
        var start = cpus is null
            ? new ProcessStartInfo("dotnet") { ArgumentList = { labDll, "--urls", url.ToString() } }
            : new ProcessStartInfo("taskset") { ArgumentList = { "-c", cpus, "dotnet", labDll, "--urls", url.ToString() } };
        (start.RedirectStandardOutput, start.RedirectStandardError) = (true, true);
        start.Environment["Lab__DataDirectory"] = data;
        if (cpus is not null) start.Environment["Lab__CpuThreads"] = Cores(cpus).ToString(CultureInfo.InvariantCulture);
        var process = Process.Start(start)!;
        // Drained so the Lab never blocks on a full pipe.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new LabServer(process, url, data);
    }

    /// <summary>The Lab's resident memory (VmRSS), in bytes. taskset execs dotnet, so the process is the Lab itself.</summary>
    public long ResidentBytes() =>
        File.ReadLines($"/proc/{process.Id}/status").Where(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024).Single();

    /// <summary>The Lab's CPU time so far (user + system), in seconds.</summary>
    public double CpuSeconds()
    {
        var stat = File.ReadAllText($"/proc/{process.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    /// <summary>How many cores a taskset list names: 2 for "0,1" or "0-1".</summary>
    private static int Cores(string list) =>
        list.Split(',').Sum(part => part.Split('-') is [var a, var b] ? int.Parse(b, CultureInfo.InvariantCulture) - int.Parse(a, CultureInfo.InvariantCulture) + 1 : 1);

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public void Dispose()
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        process.WaitForExit();
        process.Dispose();
        Directory.Delete(DataDirectory, recursive: true);
    }
}
