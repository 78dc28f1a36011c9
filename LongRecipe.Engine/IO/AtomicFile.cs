namespace LongRecipe.Engine.IO;

/// <summary>
/// Replaces a file all at once: the content goes to a temporary file in the same folder (so the
/// final rename stays on one file system), is flushed to disk, and is then renamed over the
/// destination, which rename(2) does atomically. Readers and crashes see the old file or the
/// new one, never a part. A reader holding the old file open keeps reading the old content.
/// A write that throws removes its temporary; a killed process leaves it behind (a hidden
/// ".name.*.tmp"), still never a partial destination. The folder is not fsynced (.NET has no call
/// for it), so after a power cut the rename may be undone: the destination is then the old file, whole.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, Action<FileStream> write)
    {
        var destination = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(destination)!;
        var temporary = Path.Combine(folder, $".{Path.GetFileName(destination)}.{Guid.NewGuid():N}.tmp");
        // Created outside the try: if creating it fails, there is nothing to clean up.
        var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 20);
        try
        {
            using (stream)
            {
                write(stream);
                // fsync before the rename: otherwise a crash could leave the new name on unwritten blocks.
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, destination, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
