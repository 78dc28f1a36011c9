using System.Runtime.InteropServices;

namespace LongRecipe.Engine.Torch.Interop;

/// <summary>
/// P/Invoke declarations for the shim (LongRecipe.Engine/native), one partial file per shim
/// area. Every export but the frees returns a status; <see cref="Check"/> turns a failure
/// into a <see cref="TorchException"/> carrying libtorch's message.
/// </summary>
internal static partial class Native
{
    internal const string Library = "longrecipe_torch";

    static Native() => KeepFreedPages();

    [LibraryImport(Library)]
    private static partial nint lr_last_error();

    internal static void Check(int status)
    {
        if (status != 0)
            throw new TorchException(Marshal.PtrToStringUTF8(lr_last_error()) ?? "unknown native error");
    }
}
