import { benchConfig } from '../../vitest.shared';

export default benchConfig();
