using LongRecipe.Engine.Torch;
using Microsoft.Extensions.Options;

namespace LongRecipe.Lab.Components.Pages.Home;

/// <summary>What the Lab runs on, as the Home page shows it.</summary>
/// <param name="LibTorch">The libtorch the engine's shim was built against, e.g. 1.13.0.</param>
/// <param name="CudaDevices">CUDA devices libtorch sees; 0 without CUDA.</param>
/// <param name="CpuThreads">Threads libtorch uses inside one CPU operation.</param>
/// <param name="DataDirectory">The data directory as a full path.</param>
public sealed record EngineFacts(
    Version LibTorch,
    bool BuiltWithCuda,
    int CudaDevices,
    int CpuThreads,
    string DataDirectory,
    string DefaultDevice);

/// <summary>Asks the engine about its runtime on each read (threads can change while the Lab runs).</summary>
public sealed class EngineFactsReader(IOptions<LabOptions> options, IHostEnvironment environment)
{
    public EngineFacts Read()
    {
        var lab = options.Value;
        return new EngineFacts(
            TorchRuntime.Version,
            TorchRuntime.BuiltWithCuda,
            TorchRuntime.CudaDeviceCount,
            TorchRuntime.Threads,
            Path.GetFullPath(lab.DataDirectory, environment.ContentRootPath),
            lab.DefaultDevice);
    }
}
